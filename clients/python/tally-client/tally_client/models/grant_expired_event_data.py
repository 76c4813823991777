from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.grant import Grant


T = TypeVar("T", bound="GrantExpiredEventData")


@_attrs_define
class GrantExpiredEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        expired (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        grant (Grant):
    """

    available: float
    expired: float
    grant: Grant

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        expired = self.expired

        grant = self.grant.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "expired": expired,
                "grant": grant,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant import Grant  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        expired = d.pop("expired")

        grant = Grant.from_dict(d.pop("grant"))

        grant_expired_event_data = cls(
            available=available,
            expired=expired,
            grant=grant,
        )

        return grant_expired_event_data
