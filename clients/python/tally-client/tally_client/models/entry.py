from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.entry_type import EntryType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.entry_grants_item import EntryGrantsItem


T = TypeVar("T", bound="Entry")


@_attrs_define
class Entry:
    """
    Attributes:
        account_id (str):
        amount (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        created_at (datetime.datetime):
        held (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        id (str):
        object_ (Literal['entry']):
        type_ (EntryType):
        action (str | Unset):
        charge_id (str | Unset):
        description (str | Unset):
        grant_id (str | Unset):
        grants (list[EntryGrantsItem] | Unset):
        hold_id (str | Unset):
        member (str | Unset):
        model (str | Unset):
        product (str | Unset):
        quote_id (str | Unset):
        rate_card_version (int | Unset):
    """

    account_id: str
    amount: float
    created_at: datetime.datetime
    held: float
    id: str
    object_: Literal["entry"]
    type_: EntryType
    action: str | Unset = UNSET
    charge_id: str | Unset = UNSET
    description: str | Unset = UNSET
    grant_id: str | Unset = UNSET
    grants: list[EntryGrantsItem] | Unset = UNSET
    hold_id: str | Unset = UNSET
    member: str | Unset = UNSET
    model: str | Unset = UNSET
    product: str | Unset = UNSET
    quote_id: str | Unset = UNSET
    rate_card_version: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        amount = self.amount

        created_at = self.created_at.isoformat()

        held = self.held

        id = self.id

        object_ = self.object_

        type_ = self.type_.value

        action = self.action

        charge_id = self.charge_id

        description = self.description

        grant_id = self.grant_id

        grants: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.grants, Unset):
            grants = []
            for grants_item_data in self.grants:
                grants_item = grants_item_data.to_dict()
                grants.append(grants_item)

        hold_id = self.hold_id

        member = self.member

        model = self.model

        product = self.product

        quote_id = self.quote_id

        rate_card_version = self.rate_card_version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "amount": amount,
                "created_at": created_at,
                "held": held,
                "id": id,
                "object": object_,
                "type": type_,
            }
        )
        if action is not UNSET:
            field_dict["action"] = action
        if charge_id is not UNSET:
            field_dict["charge_id"] = charge_id
        if description is not UNSET:
            field_dict["description"] = description
        if grant_id is not UNSET:
            field_dict["grant_id"] = grant_id
        if grants is not UNSET:
            field_dict["grants"] = grants
        if hold_id is not UNSET:
            field_dict["hold_id"] = hold_id
        if member is not UNSET:
            field_dict["member"] = member
        if model is not UNSET:
            field_dict["model"] = model
        if product is not UNSET:
            field_dict["product"] = product
        if quote_id is not UNSET:
            field_dict["quote_id"] = quote_id
        if rate_card_version is not UNSET:
            field_dict["rate_card_version"] = rate_card_version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.entry_grants_item import EntryGrantsItem  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        amount = d.pop("amount")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        held = d.pop("held")

        id = d.pop("id")

        object_ = cast(Literal["entry"], d.pop("object"))
        if object_ != "entry":
            raise ValueError(f"object must match const 'entry', got '{object_}'")

        type_ = EntryType(d.pop("type"))

        action = d.pop("action", UNSET)

        charge_id = d.pop("charge_id", UNSET)

        description = d.pop("description", UNSET)

        grant_id = d.pop("grant_id", UNSET)

        _grants = d.pop("grants", UNSET)
        grants: list[EntryGrantsItem] | Unset = UNSET
        if _grants is not UNSET:
            grants = []
            for grants_item_data in _grants:
                grants_item = EntryGrantsItem.from_dict(grants_item_data)

                grants.append(grants_item)

        hold_id = d.pop("hold_id", UNSET)

        member = d.pop("member", UNSET)

        model = d.pop("model", UNSET)

        product = d.pop("product", UNSET)

        quote_id = d.pop("quote_id", UNSET)

        rate_card_version = d.pop("rate_card_version", UNSET)

        entry = cls(
            account_id=account_id,
            amount=amount,
            created_at=created_at,
            held=held,
            id=id,
            object_=object_,
            type_=type_,
            action=action,
            charge_id=charge_id,
            description=description,
            grant_id=grant_id,
            grants=grants,
            hold_id=hold_id,
            member=member,
            model=model,
            product=product,
            quote_id=quote_id,
            rate_card_version=rate_card_version,
        )

        return entry
