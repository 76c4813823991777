from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.advice_best_type_0_packs_item import AdviceBestType0PacksItem


T = TypeVar("T", bound="AdviceBestType0")


@_attrs_define
class AdviceBestType0:
    """
    Attributes:
        cost_usd (float): US dollars, exact to the cent.
        credits_per_month (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        months (int):
        overage (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        pack_credits (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        packs (list[AdviceBestType0PacksItem]):
        packs_usd (float): US dollars, exact to the cent.
        plan (None | str):
        plan_name (None | str):
        plan_usd (float): US dollars, exact to the cent.
        seats (int):
    """

    cost_usd: float
    credits_per_month: float
    months: int
    overage: float
    pack_credits: float
    packs: list[AdviceBestType0PacksItem]
    packs_usd: float
    plan: None | str
    plan_name: None | str
    plan_usd: float
    seats: int

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        credits_per_month = self.credits_per_month

        months = self.months

        overage = self.overage

        pack_credits = self.pack_credits

        packs = []
        for packs_item_data in self.packs:
            packs_item = packs_item_data.to_dict()
            packs.append(packs_item)

        packs_usd = self.packs_usd

        plan: None | str
        plan = self.plan

        plan_name: None | str
        plan_name = self.plan_name

        plan_usd = self.plan_usd

        seats = self.seats

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "cost_usd": cost_usd,
                "credits_per_month": credits_per_month,
                "months": months,
                "overage": overage,
                "pack_credits": pack_credits,
                "packs": packs,
                "packs_usd": packs_usd,
                "plan": plan,
                "plan_name": plan_name,
                "plan_usd": plan_usd,
                "seats": seats,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.advice_best_type_0_packs_item import AdviceBestType0PacksItem  # noqa: PLC0415

        d = dict(src_dict)
        cost_usd = d.pop("cost_usd")

        credits_per_month = d.pop("credits_per_month")

        months = d.pop("months")

        overage = d.pop("overage")

        pack_credits = d.pop("pack_credits")

        packs = []
        _packs = d.pop("packs")
        for packs_item_data in _packs:
            packs_item = AdviceBestType0PacksItem.from_dict(packs_item_data)

            packs.append(packs_item)

        packs_usd = d.pop("packs_usd")

        def _parse_plan(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan = _parse_plan(d.pop("plan"))

        def _parse_plan_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan_name = _parse_plan_name(d.pop("plan_name"))

        plan_usd = d.pop("plan_usd")

        seats = d.pop("seats")

        advice_best_type_0 = cls(
            cost_usd=cost_usd,
            credits_per_month=credits_per_month,
            months=months,
            overage=overage,
            pack_credits=pack_credits,
            packs=packs,
            packs_usd=packs_usd,
            plan=plan,
            plan_name=plan_name,
            plan_usd=plan_usd,
            seats=seats,
        )

        return advice_best_type_0
