from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.plan_view_status import PlanViewStatus

T = TypeVar("T", bound="PlanView")


@_attrs_define
class PlanView:
    """
    Attributes:
        allowance (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        allowance_held (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        allowance_left (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        id (str):
        name (str):
        period_end (datetime.datetime):
        period_start (datetime.datetime):
        seats (int):
        status (PlanViewStatus):
    """

    allowance: float
    allowance_held: float
    allowance_left: float
    id: str
    name: str
    period_end: datetime.datetime
    period_start: datetime.datetime
    seats: int
    status: PlanViewStatus

    def to_dict(self) -> dict[str, Any]:
        allowance = self.allowance

        allowance_held = self.allowance_held

        allowance_left = self.allowance_left

        id = self.id

        name = self.name

        period_end = self.period_end.isoformat()

        period_start = self.period_start.isoformat()

        seats = self.seats

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "allowance": allowance,
                "allowance_held": allowance_held,
                "allowance_left": allowance_left,
                "id": id,
                "name": name,
                "period_end": period_end,
                "period_start": period_start,
                "seats": seats,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        allowance = d.pop("allowance")

        allowance_held = d.pop("allowance_held")

        allowance_left = d.pop("allowance_left")

        id = d.pop("id")

        name = d.pop("name")

        period_end = datetime.datetime.fromisoformat(d.pop("period_end"))

        period_start = datetime.datetime.fromisoformat(d.pop("period_start"))

        seats = d.pop("seats")

        status = PlanViewStatus(d.pop("status"))

        plan_view = cls(
            allowance=allowance,
            allowance_held=allowance_held,
            allowance_left=allowance_left,
            id=id,
            name=name,
            period_end=period_end,
            period_start=period_start,
            seats=seats,
            status=status,
        )

        return plan_view
