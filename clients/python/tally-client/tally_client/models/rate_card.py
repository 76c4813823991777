from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rate_card_items_item import RateCardItemsItem


T = TypeVar("T", bound="RateCard")


@_attrs_define
class RateCard:
    """A rate card version: its items price each action and model (see docs/pricing.md).

    Attributes:
        effective_at (datetime.datetime):
        items (list[RateCardItemsItem]):
        version (int):
        credits_per_usd (float | Unset):
    """

    effective_at: datetime.datetime
    items: list[RateCardItemsItem]
    version: int
    credits_per_usd: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        effective_at = self.effective_at.isoformat()

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        version = self.version

        credits_per_usd = self.credits_per_usd

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "effective_at": effective_at,
                "items": items,
                "version": version,
            }
        )
        if credits_per_usd is not UNSET:
            field_dict["credits_per_usd"] = credits_per_usd

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rate_card_items_item import RateCardItemsItem  # noqa: PLC0415

        d = dict(src_dict)
        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = RateCardItemsItem.from_dict(items_item_data)

            items.append(items_item)

        version = d.pop("version")

        credits_per_usd = d.pop("credits_per_usd", UNSET)

        rate_card = cls(
            effective_at=effective_at,
            items=items,
            version=version,
            credits_per_usd=credits_per_usd,
        )

        rate_card.additional_properties = d
        return rate_card

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
