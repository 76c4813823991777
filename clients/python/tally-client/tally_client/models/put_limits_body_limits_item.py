from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.put_limits_body_limits_item_scope import PutLimitsBodyLimitsItemScope
from ..models.put_limits_body_limits_item_window import PutLimitsBodyLimitsItemWindow
from ..types import UNSET, Unset

T = TypeVar("T", bound="PutLimitsBodyLimitsItem")


@_attrs_define
class PutLimitsBodyLimitsItem:
    """
    Attributes:
        max_ (float): Credits, at most 3 fraction digits and 1e12 (see `Credits`).
        scope (PutLimitsBodyLimitsItemScope):
        window (PutLimitsBodyLimitsItemWindow):
        id (None | str | Unset):
        match (None | str | Unset):
    """

    max_: float
    scope: PutLimitsBodyLimitsItemScope
    window: PutLimitsBodyLimitsItemWindow
    id: None | str | Unset = UNSET
    match: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_

        scope = self.scope.value

        window = self.window.value

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        match: None | str | Unset
        if isinstance(self.match, Unset):
            match = UNSET
        else:
            match = self.match

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max": max_,
                "scope": scope,
                "window": window,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if match is not UNSET:
            field_dict["match"] = match

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_ = d.pop("max")

        scope = PutLimitsBodyLimitsItemScope(d.pop("scope"))

        window = PutLimitsBodyLimitsItemWindow(d.pop("window"))

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_match(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        match = _parse_match(d.pop("match", UNSET))

        put_limits_body_limits_item = cls(
            max_=max_,
            scope=scope,
            window=window,
            id=id,
            match=match,
        )

        return put_limits_body_limits_item
