from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.refund_restored_item import RefundRestoredItem


T = TypeVar("T", bound="Refund")


@_attrs_define
class Refund:
    """
    Attributes:
        account_id (str):
        amount (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        created_at (datetime.datetime):
        expired (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        id (str):
        object_ (Literal['refund']):
        reason (None | str):
        restored (list[RefundRestoredItem]):
        charge_id (str | Unset):
        hold_id (str | Unset):
    """

    account_id: str
    amount: float
    created_at: datetime.datetime
    expired: float
    id: str
    object_: Literal["refund"]
    reason: None | str
    restored: list[RefundRestoredItem]
    charge_id: str | Unset = UNSET
    hold_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        amount = self.amount

        created_at = self.created_at.isoformat()

        expired = self.expired

        id = self.id

        object_ = self.object_

        reason: None | str
        reason = self.reason

        restored = []
        for restored_item_data in self.restored:
            restored_item = restored_item_data.to_dict()
            restored.append(restored_item)

        charge_id = self.charge_id

        hold_id = self.hold_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "amount": amount,
                "created_at": created_at,
                "expired": expired,
                "id": id,
                "object": object_,
                "reason": reason,
                "restored": restored,
            }
        )
        if charge_id is not UNSET:
            field_dict["charge_id"] = charge_id
        if hold_id is not UNSET:
            field_dict["hold_id"] = hold_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.refund_restored_item import RefundRestoredItem  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        amount = d.pop("amount")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expired = d.pop("expired")

        id = d.pop("id")

        object_ = cast(Literal["refund"], d.pop("object"))
        if object_ != "refund":
            raise ValueError(f"object must match const 'refund', got '{object_}'")

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        restored = []
        _restored = d.pop("restored")
        for restored_item_data in _restored:
            restored_item = RefundRestoredItem.from_dict(restored_item_data)

            restored.append(restored_item)

        charge_id = d.pop("charge_id", UNSET)

        hold_id = d.pop("hold_id", UNSET)

        refund = cls(
            account_id=account_id,
            amount=amount,
            created_at=created_at,
            expired=expired,
            id=id,
            object_=object_,
            reason=reason,
            restored=restored,
            charge_id=charge_id,
            hold_id=hold_id,
        )

        return refund
