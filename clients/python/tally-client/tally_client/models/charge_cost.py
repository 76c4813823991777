from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChargeCost")


@_attrs_define
class ChargeCost:
    """
    Attributes:
        max_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        min_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
    """

    max_: float
    min_: float

    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_

        min_ = self.min_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max": max_,
                "min": min_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_ = d.pop("max")

        min_ = d.pop("min")

        charge_cost = cls(
            max_=max_,
            min_=min_,
        )

        return charge_cost
