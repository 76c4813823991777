from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LimitStatusByMatchItem")


@_attrs_define
class LimitStatusByMatchItem:
    """
    Attributes:
        match (str):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        used (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
    """

    match: str
    remaining: float
    used: float

    def to_dict(self) -> dict[str, Any]:
        match = self.match

        remaining = self.remaining

        used = self.used

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "match": match,
                "remaining": remaining,
                "used": used,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        match = d.pop("match")

        remaining = d.pop("remaining")

        used = d.pop("used")

        limit_status_by_match_item = cls(
            match=match,
            remaining=remaining,
            used=used,
        )

        return limit_status_by_match_item
