from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.auto_topup import AutoTopup


T = TypeVar("T", bound="TopupSuspendedEventData")


@_attrs_define
class TopupSuspendedEventData:
    """
    Attributes:
        auto_topup (AutoTopup):
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    auto_topup: AutoTopup
    available: float

    def to_dict(self) -> dict[str, Any]:
        auto_topup = self.auto_topup.to_dict()

        available = self.available

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "auto_topup": auto_topup,
                "available": available,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.auto_topup import AutoTopup  # noqa: PLC0415

        d = dict(src_dict)
        auto_topup = AutoTopup.from_dict(d.pop("auto_topup"))

        available = d.pop("available")

        topup_suspended_event_data = cls(
            auto_topup=auto_topup,
            available=available,
        )

        return topup_suspended_event_data
