from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.purchase_status import PurchaseStatus

if TYPE_CHECKING:
    from ..models.grant import Grant


T = TypeVar("T", bound="Purchase")


@_attrs_define
class Purchase:
    """
    Attributes:
        account_id (str):
        checkout_url (None | str):
        completed_at (datetime.datetime | None):
        created_at (datetime.datetime):
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        expires_at (datetime.datetime):
        grant (Grant | None):
        grant_id (None | str):
        id (str):
        object_ (Literal['purchase']):
        pack (str):
        payment_reference (None | str):
        price_usd (float): US dollars, exact.
        resolved_at (datetime.datetime | None):
        status (PurchaseStatus):
        topup (bool):
    """

    account_id: str
    checkout_url: None | str
    completed_at: datetime.datetime | None
    created_at: datetime.datetime
    credits_: float
    expires_at: datetime.datetime
    grant: Grant | None
    grant_id: None | str
    id: str
    object_: Literal["purchase"]
    pack: str
    payment_reference: None | str
    price_usd: float
    resolved_at: datetime.datetime | None
    status: PurchaseStatus
    topup: bool

    def to_dict(self) -> dict[str, Any]:
        from ..models.grant import Grant  # noqa: PLC0415

        account_id = self.account_id

        checkout_url: None | str
        checkout_url = self.checkout_url

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        created_at = self.created_at.isoformat()

        credits_ = self.credits_

        expires_at = self.expires_at.isoformat()

        grant: dict[str, Any] | None
        if isinstance(self.grant, Grant):
            grant = self.grant.to_dict()
        else:
            grant = self.grant

        grant_id: None | str
        grant_id = self.grant_id

        id = self.id

        object_ = self.object_

        pack = self.pack

        payment_reference: None | str
        payment_reference = self.payment_reference

        price_usd = self.price_usd

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        status = self.status.value

        topup = self.topup

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "checkout_url": checkout_url,
                "completed_at": completed_at,
                "created_at": created_at,
                "credits": credits_,
                "expires_at": expires_at,
                "grant": grant,
                "grant_id": grant_id,
                "id": id,
                "object": object_,
                "pack": pack,
                "payment_reference": payment_reference,
                "price_usd": price_usd,
                "resolved_at": resolved_at,
                "status": status,
                "topup": topup,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant import Grant  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        def _parse_checkout_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        checkout_url = _parse_checkout_url(d.pop("checkout_url"))

        def _parse_completed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        completed_at = _parse_completed_at(d.pop("completed_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credits_ = d.pop("credits")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        def _parse_grant(data: object) -> Grant | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                grant_type_0 = Grant.from_dict(data)

                return grant_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Grant | None, data)

        grant = _parse_grant(d.pop("grant"))

        def _parse_grant_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        grant_id = _parse_grant_id(d.pop("grant_id"))

        id = d.pop("id")

        object_ = cast(Literal["purchase"], d.pop("object"))
        if object_ != "purchase":
            raise ValueError(f"object must match const 'purchase', got '{object_}'")

        pack = d.pop("pack")

        def _parse_payment_reference(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payment_reference = _parse_payment_reference(d.pop("payment_reference"))

        price_usd = d.pop("price_usd")

        def _parse_resolved_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resolved_at_type_0 = datetime.datetime.fromisoformat(data)

                return resolved_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resolved_at = _parse_resolved_at(d.pop("resolved_at"))

        status = PurchaseStatus(d.pop("status"))

        topup = d.pop("topup")

        purchase = cls(
            account_id=account_id,
            checkout_url=checkout_url,
            completed_at=completed_at,
            created_at=created_at,
            credits_=credits_,
            expires_at=expires_at,
            grant=grant,
            grant_id=grant_id,
            id=id,
            object_=object_,
            pack=pack,
            payment_reference=payment_reference,
            price_usd=price_usd,
            resolved_at=resolved_at,
            status=status,
            topup=topup,
        )

        return purchase
