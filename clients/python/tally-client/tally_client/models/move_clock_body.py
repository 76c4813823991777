from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MoveClockBody")


@_attrs_define
class MoveClockBody:
    """Exactly one of `advance_seconds` and `now`.

    Attributes:
        advance_seconds (int | None | Unset):
        now (datetime.datetime | None | Unset):
    """

    advance_seconds: int | None | Unset = UNSET
    now: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        advance_seconds: int | None | Unset
        if isinstance(self.advance_seconds, Unset):
            advance_seconds = UNSET
        else:
            advance_seconds = self.advance_seconds

        now: None | str | Unset
        if isinstance(self.now, Unset):
            now = UNSET
        elif isinstance(self.now, datetime.datetime):
            now = self.now.isoformat()
        else:
            now = self.now

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if advance_seconds is not UNSET:
            field_dict["advance_seconds"] = advance_seconds
        if now is not UNSET:
            field_dict["now"] = now

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_advance_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        advance_seconds = _parse_advance_seconds(d.pop("advance_seconds", UNSET))

        def _parse_now(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                now_type_0 = datetime.datetime.fromisoformat(data)

                return now_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        now = _parse_now(d.pop("now", UNSET))

        move_clock_body = cls(
            advance_seconds=advance_seconds,
            now=now,
        )

        return move_clock_body
