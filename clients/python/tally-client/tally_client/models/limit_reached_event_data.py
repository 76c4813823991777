from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.limit_reached_event_data_reason import LimitReachedEventDataReason

if TYPE_CHECKING:
    from ..models.limit import Limit


T = TypeVar("T", bound="LimitReachedEventData")


@_attrs_define
class LimitReachedEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        limit (Limit):
        reason (LimitReachedEventDataReason):
        refused_amount (float | None):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        resets_at (datetime.datetime | None):
        used (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        value (str):
    """

    available: float
    limit: Limit
    reason: LimitReachedEventDataReason
    refused_amount: float | None
    remaining: float
    resets_at: datetime.datetime | None
    used: float
    value: str

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        limit = self.limit.to_dict()

        reason = self.reason.value

        refused_amount: float | None
        refused_amount = self.refused_amount

        remaining = self.remaining

        resets_at: None | str
        if isinstance(self.resets_at, datetime.datetime):
            resets_at = self.resets_at.isoformat()
        else:
            resets_at = self.resets_at

        used = self.used

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "limit": limit,
                "reason": reason,
                "refused_amount": refused_amount,
                "remaining": remaining,
                "resets_at": resets_at,
                "used": used,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.limit import Limit  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        limit = Limit.from_dict(d.pop("limit"))

        reason = LimitReachedEventDataReason(d.pop("reason"))

        def _parse_refused_amount(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        refused_amount = _parse_refused_amount(d.pop("refused_amount"))

        remaining = d.pop("remaining")

        def _parse_resets_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resets_at_type_0 = datetime.datetime.fromisoformat(data)

                return resets_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resets_at = _parse_resets_at(d.pop("resets_at"))

        used = d.pop("used")

        value = d.pop("value")

        limit_reached_event_data = cls(
            available=available,
            limit=limit,
            reason=reason,
            refused_amount=refused_amount,
            remaining=remaining,
            resets_at=resets_at,
            used=used,
            value=value,
        )

        return limit_reached_event_data
