from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CompletePurchaseBody")


@_attrs_define
class CompletePurchaseBody:
    """
    Attributes:
        payment_reference (None | str | Unset):
    """

    payment_reference: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        payment_reference: None | str | Unset
        if isinstance(self.payment_reference, Unset):
            payment_reference = UNSET
        else:
            payment_reference = self.payment_reference

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if payment_reference is not UNSET:
            field_dict["payment_reference"] = payment_reference

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_payment_reference(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_reference = _parse_payment_reference(d.pop("payment_reference", UNSET))

        complete_purchase_body = cls(
            payment_reference=payment_reference,
        )

        return complete_purchase_body
