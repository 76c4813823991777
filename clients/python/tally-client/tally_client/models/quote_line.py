from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="QuoteLine")


@_attrs_define
class QuoteLine:
    """
    Attributes:
        amount (float): Credits, exact (may hold more than 3 fraction digits before rounding).
        dimension (str):
        quantity (float):
        unit_price (float): Credits per unit, exact.
        quality (str | Unset):
        tier (str | Unset):
        upper_bound (bool | Unset):
    """

    amount: float
    dimension: str
    quantity: float
    unit_price: float
    quality: str | Unset = UNSET
    tier: str | Unset = UNSET
    upper_bound: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        dimension = self.dimension

        quantity = self.quantity

        unit_price = self.unit_price

        quality = self.quality

        tier = self.tier

        upper_bound = self.upper_bound

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "dimension": dimension,
                "quantity": quantity,
                "unit_price": unit_price,
            }
        )
        if quality is not UNSET:
            field_dict["quality"] = quality
        if tier is not UNSET:
            field_dict["tier"] = tier
        if upper_bound is not UNSET:
            field_dict["upper_bound"] = upper_bound

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        dimension = d.pop("dimension")

        quantity = d.pop("quantity")

        unit_price = d.pop("unit_price")

        quality = d.pop("quality", UNSET)

        tier = d.pop("tier", UNSET)

        upper_bound = d.pop("upper_bound", UNSET)

        quote_line = cls(
            amount=amount,
            dimension=dimension,
            quantity=quantity,
            unit_price=unit_price,
            quality=quality,
            tier=tier,
            upper_bound=upper_bound,
        )

        return quote_line
