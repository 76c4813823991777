from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Plan")


@_attrs_define
class Plan:
    """
    Attributes:
        credits_per_seat (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        id (str):
        name (str):
        object_ (Literal['plan']):
        period (Literal['month']):
        price_usd (float): US dollars, exact.
        rollover (bool):
    """

    credits_per_seat: float
    id: str
    name: str
    object_: Literal["plan"]
    period: Literal["month"]
    price_usd: float
    rollover: bool

    def to_dict(self) -> dict[str, Any]:
        credits_per_seat = self.credits_per_seat

        id = self.id

        name = self.name

        object_ = self.object_

        period = self.period

        price_usd = self.price_usd

        rollover = self.rollover

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "credits_per_seat": credits_per_seat,
                "id": id,
                "name": name,
                "object": object_,
                "period": period,
                "price_usd": price_usd,
                "rollover": rollover,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        credits_per_seat = d.pop("credits_per_seat")

        id = d.pop("id")

        name = d.pop("name")

        object_ = cast(Literal["plan"], d.pop("object"))
        if object_ != "plan":
            raise ValueError(f"object must match const 'plan', got '{object_}'")

        period = cast(Literal["month"], d.pop("period"))
        if period != "month":
            raise ValueError(f"period must match const 'month', got '{period}'")

        price_usd = d.pop("price_usd")

        rollover = d.pop("rollover")

        plan = cls(
            credits_per_seat=credits_per_seat,
            id=id,
            name=name,
            object_=object_,
            period=period,
            price_usd=price_usd,
            rollover=rollover,
        )

        return plan
