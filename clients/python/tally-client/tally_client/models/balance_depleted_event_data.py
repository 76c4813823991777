from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.balance_depleted_event_data_reason import BalanceDepletedEventDataReason

T = TypeVar("T", bound="BalanceDepletedEventData")


@_attrs_define
class BalanceDepletedEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        reason (BalanceDepletedEventDataReason):
        refused_amount (float | None):
    """

    available: float
    reason: BalanceDepletedEventDataReason
    refused_amount: float | None

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        reason = self.reason.value

        refused_amount: float | None
        refused_amount = self.refused_amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "reason": reason,
                "refused_amount": refused_amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        available = d.pop("available")

        reason = BalanceDepletedEventDataReason(d.pop("reason"))

        def _parse_refused_amount(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        refused_amount = _parse_refused_amount(d.pop("refused_amount"))

        balance_depleted_event_data = cls(
            available=available,
            reason=reason,
            refused_amount=refused_amount,
        )

        return balance_depleted_event_data
