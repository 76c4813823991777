from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="AdviceUsageByProductItem")


@_attrs_define
class AdviceUsageByProductItem:
    """
    Attributes:
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        product (None | str):
    """

    credits_: float
    product: None | str

    def to_dict(self) -> dict[str, Any]:
        credits_ = self.credits_

        product: None | str
        product = self.product

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "credits": credits_,
                "product": product,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        credits_ = d.pop("credits")

        def _parse_product(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        product = _parse_product(d.pop("product"))

        advice_usage_by_product_item = cls(
            credits_=credits_,
            product=product,
        )

        return advice_usage_by_product_item
