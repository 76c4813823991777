from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PutAutoTopupBody")


@_attrs_define
class PutAutoTopupBody:
    """
    Attributes:
        pack (str):
        threshold (float): Credits, at most 3 fraction digits and 1e12 (see `Credits`).
        complete (bool | None | Unset):
        cooldown_seconds (int | None | Unset):
        monthly_max (int | None | Unset):
    """

    pack: str
    threshold: float
    complete: bool | None | Unset = UNSET
    cooldown_seconds: int | None | Unset = UNSET
    monthly_max: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        pack = self.pack

        threshold = self.threshold

        complete: bool | None | Unset
        if isinstance(self.complete, Unset):
            complete = UNSET
        else:
            complete = self.complete

        cooldown_seconds: int | None | Unset
        if isinstance(self.cooldown_seconds, Unset):
            cooldown_seconds = UNSET
        else:
            cooldown_seconds = self.cooldown_seconds

        monthly_max: int | None | Unset
        if isinstance(self.monthly_max, Unset):
            monthly_max = UNSET
        else:
            monthly_max = self.monthly_max

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pack": pack,
                "threshold": threshold,
            }
        )
        if complete is not UNSET:
            field_dict["complete"] = complete
        if cooldown_seconds is not UNSET:
            field_dict["cooldown_seconds"] = cooldown_seconds
        if monthly_max is not UNSET:
            field_dict["monthly_max"] = monthly_max

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        pack = d.pop("pack")

        threshold = d.pop("threshold")

        def _parse_complete(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        complete = _parse_complete(d.pop("complete", UNSET))

        def _parse_cooldown_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cooldown_seconds = _parse_cooldown_seconds(d.pop("cooldown_seconds", UNSET))

        def _parse_monthly_max(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        monthly_max = _parse_monthly_max(d.pop("monthly_max", UNSET))

        put_auto_topup_body = cls(
            pack=pack,
            threshold=threshold,
            complete=complete,
            cooldown_seconds=cooldown_seconds,
            monthly_max=monthly_max,
        )

        return put_auto_topup_body
