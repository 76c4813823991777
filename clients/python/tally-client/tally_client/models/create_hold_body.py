from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_hold_body_metadata_type_0 import CreateHoldBodyMetadataType0
    from ..models.usage import Usage


T = TypeVar("T", bound="CreateHoldBody")


@_attrs_define
class CreateHoldBody:
    """Exactly one of `amount` and `usage`, or a `quote_id` alone: the quote's usage (a charge needs an exact quote; a
    workflow run's quote needs its list as `usage`).

        Attributes:
            amount (float | None | Unset):
            description (None | str | Unset):
            member (None | str | Unset):
            metadata (CreateHoldBodyMetadataType0 | None | Unset):
            product (None | str | Unset):
            quote_id (None | str | Unset):
            ttl_seconds (int | None | Unset):
            usage (list[Usage] | None | Unset | Usage):
    """

    amount: float | None | Unset = UNSET
    description: None | str | Unset = UNSET
    member: None | str | Unset = UNSET
    metadata: CreateHoldBodyMetadataType0 | None | Unset = UNSET
    product: None | str | Unset = UNSET
    quote_id: None | str | Unset = UNSET
    ttl_seconds: int | None | Unset = UNSET
    usage: list[Usage] | None | Unset | Usage = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_hold_body_metadata_type_0 import CreateHoldBodyMetadataType0  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        amount: float | None | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        member: None | str | Unset
        if isinstance(self.member, Unset):
            member = UNSET
        else:
            member = self.member

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, CreateHoldBodyMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        product: None | str | Unset
        if isinstance(self.product, Unset):
            product = UNSET
        else:
            product = self.product

        quote_id: None | str | Unset
        if isinstance(self.quote_id, Unset):
            quote_id = UNSET
        else:
            quote_id = self.quote_id

        ttl_seconds: int | None | Unset
        if isinstance(self.ttl_seconds, Unset):
            ttl_seconds = UNSET
        else:
            ttl_seconds = self.ttl_seconds

        usage: dict[str, Any] | list[dict[str, Any]] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, Usage):
            usage = self.usage.to_dict()
        elif isinstance(self.usage, list):
            usage = []
            for usage_type_0_type_1_item_data in self.usage:
                usage_type_0_type_1_item = usage_type_0_type_1_item_data.to_dict()
                usage.append(usage_type_0_type_1_item)

        else:
            usage = self.usage

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if amount is not UNSET:
            field_dict["amount"] = amount
        if description is not UNSET:
            field_dict["description"] = description
        if member is not UNSET:
            field_dict["member"] = member
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if product is not UNSET:
            field_dict["product"] = product
        if quote_id is not UNSET:
            field_dict["quote_id"] = quote_id
        if ttl_seconds is not UNSET:
            field_dict["ttl_seconds"] = ttl_seconds
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_hold_body_metadata_type_0 import CreateHoldBodyMetadataType0  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_amount(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_member(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        member = _parse_member(d.pop("member", UNSET))

        def _parse_metadata(data: object) -> CreateHoldBodyMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = CreateHoldBodyMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateHoldBodyMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_product(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        product = _parse_product(d.pop("product", UNSET))

        def _parse_quote_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        quote_id = _parse_quote_id(d.pop("quote_id", UNSET))

        def _parse_ttl_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        ttl_seconds = _parse_ttl_seconds(d.pop("ttl_seconds", UNSET))

        def _parse_usage(data: object) -> list[Usage] | None | Unset | Usage:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_0_type_0 = Usage.from_dict(data)

                return usage_type_0_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, list):
                    raise TypeError()
                usage_type_0_type_1 = []
                _usage_type_0_type_1 = data
                for usage_type_0_type_1_item_data in _usage_type_0_type_1:
                    usage_type_0_type_1_item = Usage.from_dict(usage_type_0_type_1_item_data)

                    usage_type_0_type_1.append(usage_type_0_type_1_item)

                return usage_type_0_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Usage] | None | Unset | Usage, data)

        usage = _parse_usage(d.pop("usage", UNSET))

        create_hold_body = cls(
            amount=amount,
            description=description,
            member=member,
            metadata=metadata,
            product=product,
            quote_id=quote_id,
            ttl_seconds=ttl_seconds,
            usage=usage,
        )

        return create_hold_body
