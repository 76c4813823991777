from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.usage import Usage


T = TypeVar("T", bound="CreateQuoteBody")


@_attrs_define
class CreateQuoteBody:
    """
    Attributes:
        usage (list[Usage] | Usage):
        account_id (None | str | Unset):
        alternatives (bool | None | Unset):
    """

    usage: list[Usage] | Usage
    account_id: None | str | Unset = UNSET
    alternatives: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.usage import Usage  # noqa: PLC0415

        usage: dict[str, Any] | list[dict[str, Any]]
        if isinstance(self.usage, Usage):
            usage = self.usage.to_dict()
        else:
            usage = []
            for usage_type_1_item_data in self.usage:
                usage_type_1_item = usage_type_1_item_data.to_dict()
                usage.append(usage_type_1_item)

        account_id: None | str | Unset
        if isinstance(self.account_id, Unset):
            account_id = UNSET
        else:
            account_id = self.account_id

        alternatives: bool | None | Unset
        if isinstance(self.alternatives, Unset):
            alternatives = UNSET
        else:
            alternatives = self.alternatives

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "usage": usage,
            }
        )
        if account_id is not UNSET:
            field_dict["account_id"] = account_id
        if alternatives is not UNSET:
            field_dict["alternatives"] = alternatives

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_usage(data: object) -> list[Usage] | Usage:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_0 = Usage.from_dict(data)

                return usage_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError()
            usage_type_1 = []
            _usage_type_1 = data
            for usage_type_1_item_data in _usage_type_1:
                usage_type_1_item = Usage.from_dict(usage_type_1_item_data)

                usage_type_1.append(usage_type_1_item)

            return usage_type_1

        usage = _parse_usage(d.pop("usage"))

        def _parse_account_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        account_id = _parse_account_id(d.pop("account_id", UNSET))

        def _parse_alternatives(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        alternatives = _parse_alternatives(d.pop("alternatives", UNSET))

        create_quote_body = cls(
            usage=usage,
            account_id=account_id,
            alternatives=alternatives,
        )

        return create_quote_body
