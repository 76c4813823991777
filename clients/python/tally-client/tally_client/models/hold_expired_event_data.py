from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.hold import Hold


T = TypeVar("T", bound="HoldExpiredEventData")


@_attrs_define
class HoldExpiredEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        hold (Hold): A hold. One made from `usage` also carries what priced it (`usage`, `lines`, `cost`, …).
    """

    available: float
    hold: Hold

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        hold = self.hold.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "hold": hold,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.hold import Hold  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        hold = Hold.from_dict(d.pop("hold"))

        hold_expired_event_data = cls(
            available=available,
            hold=hold,
        )

        return hold_expired_event_data
