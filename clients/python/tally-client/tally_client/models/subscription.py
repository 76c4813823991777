from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.subscription_status import SubscriptionStatus

T = TypeVar("T", bound="Subscription")


@_attrs_define
class Subscription:
    """
    Attributes:
        account_id (str):
        canceled_at (datetime.datetime | None):
        created_at (datetime.datetime):
        credits_per_seat (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        current_period_end (datetime.datetime):
        current_period_start (datetime.datetime):
        next_period_seats (int | None):
        object_ (Literal['subscription']):
        plan (str):
        plan_name (str):
        seats (int):
        status (SubscriptionStatus):
    """

    account_id: str
    canceled_at: datetime.datetime | None
    created_at: datetime.datetime
    credits_per_seat: float
    current_period_end: datetime.datetime
    current_period_start: datetime.datetime
    next_period_seats: int | None
    object_: Literal["subscription"]
    plan: str
    plan_name: str
    seats: int
    status: SubscriptionStatus

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        canceled_at: None | str
        if isinstance(self.canceled_at, datetime.datetime):
            canceled_at = self.canceled_at.isoformat()
        else:
            canceled_at = self.canceled_at

        created_at = self.created_at.isoformat()

        credits_per_seat = self.credits_per_seat

        current_period_end = self.current_period_end.isoformat()

        current_period_start = self.current_period_start.isoformat()

        next_period_seats: int | None
        next_period_seats = self.next_period_seats

        object_ = self.object_

        plan = self.plan

        plan_name = self.plan_name

        seats = self.seats

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "canceled_at": canceled_at,
                "created_at": created_at,
                "credits_per_seat": credits_per_seat,
                "current_period_end": current_period_end,
                "current_period_start": current_period_start,
                "next_period_seats": next_period_seats,
                "object": object_,
                "plan": plan,
                "plan_name": plan_name,
                "seats": seats,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        def _parse_canceled_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                canceled_at_type_0 = datetime.datetime.fromisoformat(data)

                return canceled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        canceled_at = _parse_canceled_at(d.pop("canceled_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credits_per_seat = d.pop("credits_per_seat")

        current_period_end = datetime.datetime.fromisoformat(d.pop("current_period_end"))

        current_period_start = datetime.datetime.fromisoformat(d.pop("current_period_start"))

        def _parse_next_period_seats(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        next_period_seats = _parse_next_period_seats(d.pop("next_period_seats"))

        object_ = cast(Literal["subscription"], d.pop("object"))
        if object_ != "subscription":
            raise ValueError(f"object must match const 'subscription', got '{object_}'")

        plan = d.pop("plan")

        plan_name = d.pop("plan_name")

        seats = d.pop("seats")

        status = SubscriptionStatus(d.pop("status"))

        subscription = cls(
            account_id=account_id,
            canceled_at=canceled_at,
            created_at=created_at,
            credits_per_seat=credits_per_seat,
            current_period_end=current_period_end,
            current_period_start=current_period_start,
            next_period_seats=next_period_seats,
            object_=object_,
            plan=plan,
            plan_name=plan_name,
            seats=seats,
            status=status,
        )

        return subscription
