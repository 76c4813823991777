from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.limit_scope import LimitScope
from ..models.limit_window import LimitWindow

T = TypeVar("T", bound="Limit")


@_attrs_define
class Limit:
    """
    Attributes:
        id (str):
        match (str):
        max_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        object_ (Literal['limit']):
        scope (LimitScope):
        window (LimitWindow):
    """

    id: str
    match: str
    max_: float
    object_: Literal["limit"]
    scope: LimitScope
    window: LimitWindow

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        match = self.match

        max_ = self.max_

        object_ = self.object_

        scope = self.scope.value

        window = self.window.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "match": match,
                "max": max_,
                "object": object_,
                "scope": scope,
                "window": window,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        match = d.pop("match")

        max_ = d.pop("max")

        object_ = cast(Literal["limit"], d.pop("object"))
        if object_ != "limit":
            raise ValueError(f"object must match const 'limit', got '{object_}'")

        scope = LimitScope(d.pop("scope"))

        window = LimitWindow(d.pop("window"))

        limit = cls(
            id=id,
            match=match,
            max_=max_,
            object_=object_,
            scope=scope,
            window=window,
        )

        return limit
