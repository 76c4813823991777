from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="StripeReceipt")


@_attrs_define
class StripeReceipt:
    """
    Attributes:
        action (str):
        purchase_id (None | str):
        received (bool):
        reason (str | Unset):
    """

    action: str
    purchase_id: None | str
    received: bool
    reason: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        purchase_id: None | str
        purchase_id = self.purchase_id

        received = self.received

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
                "purchase_id": purchase_id,
                "received": received,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        action = d.pop("action")

        def _parse_purchase_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        purchase_id = _parse_purchase_id(d.pop("purchase_id"))

        received = d.pop("received")

        reason = d.pop("reason", UNSET)

        stripe_receipt = cls(
            action=action,
            purchase_id=purchase_id,
            received=received,
            reason=reason,
        )

        return stripe_receipt
