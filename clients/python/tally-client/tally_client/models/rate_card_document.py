from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rate_card_document_items_item import RateCardDocumentItemsItem


T = TypeVar("T", bound="RateCardDocument")


@_attrs_define
class RateCardDocument:
    """A rate card document, as `GET /v1/rate-card` returns it; `version` and `effective_at` may be left out.

    Attributes:
        items (list[RateCardDocumentItemsItem]):
        credits_per_usd (float | None | Unset):
        effective_at (None | str | Unset):
        version (int | None | Unset):
    """

    items: list[RateCardDocumentItemsItem]
    credits_per_usd: float | None | Unset = UNSET
    effective_at: None | str | Unset = UNSET
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        credits_per_usd: float | None | Unset
        if isinstance(self.credits_per_usd, Unset):
            credits_per_usd = UNSET
        else:
            credits_per_usd = self.credits_per_usd

        effective_at: None | str | Unset
        if isinstance(self.effective_at, Unset):
            effective_at = UNSET
        else:
            effective_at = self.effective_at

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
            }
        )
        if credits_per_usd is not UNSET:
            field_dict["credits_per_usd"] = credits_per_usd
        if effective_at is not UNSET:
            field_dict["effective_at"] = effective_at
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rate_card_document_items_item import RateCardDocumentItemsItem  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = RateCardDocumentItemsItem.from_dict(items_item_data)

            items.append(items_item)

        def _parse_credits_per_usd(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        credits_per_usd = _parse_credits_per_usd(d.pop("credits_per_usd", UNSET))

        def _parse_effective_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        effective_at = _parse_effective_at(d.pop("effective_at", UNSET))

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        rate_card_document = cls(
            items=items,
            credits_per_usd=credits_per_usd,
            effective_at=effective_at,
            version=version,
        )

        rate_card_document.additional_properties = d
        return rate_card_document

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
