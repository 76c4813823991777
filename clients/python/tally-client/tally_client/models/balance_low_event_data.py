from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="BalanceLowEventData")


@_attrs_define
class BalanceLowEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        threshold (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    available: float
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "threshold": threshold,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        available = d.pop("available")

        threshold = d.pop("threshold")

        balance_low_event_data = cls(
            available=available,
            threshold=threshold,
        )

        return balance_low_event_data
