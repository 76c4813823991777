from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.grant import Grant


T = TypeVar("T", bound="GrantExpiringEventData")


@_attrs_define
class GrantExpiringEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        expires_at (datetime.datetime | None):
        grant (Grant):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
    """

    available: float
    expires_at: datetime.datetime | None
    grant: Grant
    remaining: float

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        grant = self.grant.to_dict()

        remaining = self.remaining

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "expires_at": expires_at,
                "grant": grant,
                "remaining": remaining,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant import Grant  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        grant = Grant.from_dict(d.pop("grant"))

        remaining = d.pop("remaining")

        grant_expiring_event_data = cls(
            available=available,
            expires_at=expires_at,
            grant=grant,
            remaining=remaining,
        )

        return grant_expiring_event_data
