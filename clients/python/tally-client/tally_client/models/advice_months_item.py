from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.advice_months_item_by_product_item import AdviceMonthsItemByProductItem


T = TypeVar("T", bound="AdviceMonthsItem")


@_attrs_define
class AdviceMonthsItem:
    """
    Attributes:
        by_product (list[AdviceMonthsItemByProductItem]):
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        from_ (datetime.datetime):
        to (datetime.datetime):
    """

    by_product: list[AdviceMonthsItemByProductItem]
    credits_: float
    from_: datetime.datetime
    to: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        by_product = []
        for by_product_item_data in self.by_product:
            by_product_item = by_product_item_data.to_dict()
            by_product.append(by_product_item)

        credits_ = self.credits_

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "by_product": by_product,
                "credits": credits_,
                "from": from_,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.advice_months_item_by_product_item import AdviceMonthsItemByProductItem  # noqa: PLC0415

        d = dict(src_dict)
        by_product = []
        _by_product = d.pop("by_product")
        for by_product_item_data in _by_product:
            by_product_item = AdviceMonthsItemByProductItem.from_dict(by_product_item_data)

            by_product.append(by_product_item)

        credits_ = d.pop("credits")

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        to = datetime.datetime.fromisoformat(d.pop("to"))

        advice_months_item = cls(
            by_product=by_product,
            credits_=credits_,
            from_=from_,
            to=to,
        )

        return advice_months_item
