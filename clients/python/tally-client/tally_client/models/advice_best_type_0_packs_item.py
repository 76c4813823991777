from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AdviceBestType0PacksItem")


@_attrs_define
class AdviceBestType0PacksItem:
    """
    Attributes:
        count (int):
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        name (str):
        pack (str):
        price_usd (float): US dollars, exact to the cent.
    """

    count: int
    credits_: float
    name: str
    pack: str
    price_usd: float

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        credits_ = self.credits_

        name = self.name

        pack = self.pack

        price_usd = self.price_usd

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "count": count,
                "credits": credits_,
                "name": name,
                "pack": pack,
                "price_usd": price_usd,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        count = d.pop("count")

        credits_ = d.pop("credits")

        name = d.pop("name")

        pack = d.pop("pack")

        price_usd = d.pop("price_usd")

        advice_best_type_0_packs_item = cls(
            count=count,
            credits_=credits_,
            name=name,
            pack=pack,
            price_usd=price_usd,
        )

        return advice_best_type_0_packs_item
