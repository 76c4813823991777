from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePurchaseBody")


@_attrs_define
class CreatePurchaseBody:
    """
    Attributes:
        pack (str):
        complete (bool | None | Unset):
    """

    pack: str
    complete: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        pack = self.pack

        complete: bool | None | Unset
        if isinstance(self.complete, Unset):
            complete = UNSET
        else:
            complete = self.complete

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pack": pack,
            }
        )
        if complete is not UNSET:
            field_dict["complete"] = complete

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        pack = d.pop("pack")

        def _parse_complete(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        complete = _parse_complete(d.pop("complete", UNSET))

        create_purchase_body = cls(
            pack=pack,
            complete=complete,
        )

        return create_purchase_body
