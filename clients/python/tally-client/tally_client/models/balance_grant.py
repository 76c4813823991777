from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.balance_grant_source import BalanceGrantSource
from ..models.balance_grant_status import BalanceGrantStatus

T = TypeVar("T", bound="BalanceGrant")


@_attrs_define
class BalanceGrant:
    """
    Attributes:
        expires_at (datetime.datetime | None):
        id (str):
        priority (int):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        reserved (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        source (BalanceGrantSource):
        status (BalanceGrantStatus):
    """

    expires_at: datetime.datetime | None
    id: str
    priority: int
    remaining: float
    reserved: float
    source: BalanceGrantSource
    status: BalanceGrantStatus

    def to_dict(self) -> dict[str, Any]:
        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        id = self.id

        priority = self.priority

        remaining = self.remaining

        reserved = self.reserved

        source = self.source.value

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "expires_at": expires_at,
                "id": id,
                "priority": priority,
                "remaining": remaining,
                "reserved": reserved,
                "source": source,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

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

        id = d.pop("id")

        priority = d.pop("priority")

        remaining = d.pop("remaining")

        reserved = d.pop("reserved")

        source = BalanceGrantSource(d.pop("source"))

        status = BalanceGrantStatus(d.pop("status"))

        balance_grant = cls(
            expires_at=expires_at,
            id=id,
            priority=priority,
            remaining=remaining,
            reserved=reserved,
            source=source,
            status=status,
        )

        return balance_grant
