from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.limit_status_scope import LimitStatusScope
from ..models.limit_status_window import LimitStatusWindow

if TYPE_CHECKING:
    from ..models.limit_status_by_match_item import LimitStatusByMatchItem


T = TypeVar("T", bound="LimitStatus")


@_attrs_define
class LimitStatus:
    """
    Attributes:
        by_match (list[LimitStatusByMatchItem]):
        id (str):
        match (str):
        max_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        object_ (Literal['limit']):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        resets_at (datetime.datetime | None):
        scope (LimitStatusScope):
        used (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        window (LimitStatusWindow):
    """

    by_match: list[LimitStatusByMatchItem]
    id: str
    match: str
    max_: float
    object_: Literal["limit"]
    remaining: float
    resets_at: datetime.datetime | None
    scope: LimitStatusScope
    used: float
    window: LimitStatusWindow

    def to_dict(self) -> dict[str, Any]:
        by_match = []
        for by_match_item_data in self.by_match:
            by_match_item = by_match_item_data.to_dict()
            by_match.append(by_match_item)

        id = self.id

        match = self.match

        max_ = self.max_

        object_ = self.object_

        remaining = self.remaining

        resets_at: None | str
        if isinstance(self.resets_at, datetime.datetime):
            resets_at = self.resets_at.isoformat()
        else:
            resets_at = self.resets_at

        scope = self.scope.value

        used = self.used

        window = self.window.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "by_match": by_match,
                "id": id,
                "match": match,
                "max": max_,
                "object": object_,
                "remaining": remaining,
                "resets_at": resets_at,
                "scope": scope,
                "used": used,
                "window": window,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.limit_status_by_match_item import LimitStatusByMatchItem  # noqa: PLC0415

        d = dict(src_dict)
        by_match = []
        _by_match = d.pop("by_match")
        for by_match_item_data in _by_match:
            by_match_item = LimitStatusByMatchItem.from_dict(by_match_item_data)

            by_match.append(by_match_item)

        id = d.pop("id")

        match = d.pop("match")

        max_ = d.pop("max")

        object_ = cast(Literal["limit"], d.pop("object"))
        if object_ != "limit":
            raise ValueError(f"object must match const 'limit', got '{object_}'")

        remaining = d.pop("remaining")

        def _parse_resets_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resets_at_type_0 = datetime.datetime.fromisoformat(data)

                return resets_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resets_at = _parse_resets_at(d.pop("resets_at"))

        scope = LimitStatusScope(d.pop("scope"))

        used = d.pop("used")

        window = LimitStatusWindow(d.pop("window"))

        limit_status = cls(
            by_match=by_match,
            id=id,
            match=match,
            max_=max_,
            object_=object_,
            remaining=remaining,
            resets_at=resets_at,
            scope=scope,
            used=used,
            window=window,
        )

        return limit_status
