from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.purchase import Purchase


T = TypeVar("T", bound="TopupRequestedEventData")


@_attrs_define
class TopupRequestedEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        purchase (Purchase):
        threshold (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    available: float
    purchase: Purchase
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        purchase = self.purchase.to_dict()

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "purchase": purchase,
                "threshold": threshold,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.purchase import Purchase  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        purchase = Purchase.from_dict(d.pop("purchase"))

        threshold = d.pop("threshold")

        topup_requested_event_data = cls(
            available=available,
            purchase=purchase,
            threshold=threshold,
        )

        return topup_requested_event_data
