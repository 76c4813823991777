from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="QuoteAccountNextResetType0")


@_attrs_define
class QuoteAccountNextResetType0:
    """
    Attributes:
        at (datetime.datetime):
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    at: datetime.datetime
    credits_: float

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        credits_ = self.credits_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "at": at,
                "credits": credits_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        credits_ = d.pop("credits")

        quote_account_next_reset_type_0 = cls(
            at=at,
            credits_=credits_,
        )

        return quote_account_next_reset_type_0
