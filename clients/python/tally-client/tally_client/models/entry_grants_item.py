from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="EntryGrantsItem")


@_attrs_define
class EntryGrantsItem:
    """
    Attributes:
        grant_id (str):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        reserved (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    grant_id: str
    remaining: float
    reserved: float

    def to_dict(self) -> dict[str, Any]:
        grant_id = self.grant_id

        remaining = self.remaining

        reserved = self.reserved

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "grant_id": grant_id,
                "remaining": remaining,
                "reserved": reserved,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        grant_id = d.pop("grant_id")

        remaining = d.pop("remaining")

        reserved = d.pop("reserved")

        entry_grants_item = cls(
            grant_id=grant_id,
            remaining=remaining,
            reserved=reserved,
        )

        return entry_grants_item
