from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.alternative import Alternative
    from ..models.limit import Limit


T = TypeVar("T", bound="LimitExceededProblem")


@_attrs_define
class LimitExceededProblem:
    """
    Attributes:
        code (Literal['limit_exceeded']):
        detail (str):
        limit (Limit):
        match_value (str):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        resets_at (datetime.datetime | None):
        status (Literal[402]):
        title (str):
        type_ (Literal['/errors/limit_exceeded']): `/docs/errors#<code>`: the code's section of docs/errors.md.
        used (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        alternatives (list[Alternative] | Unset):
    """

    code: Literal["limit_exceeded"]
    detail: str
    limit: Limit
    match_value: str
    remaining: float
    resets_at: datetime.datetime | None
    status: Literal[402]
    title: str
    type_: Literal["/errors/limit_exceeded"]
    used: float
    alternatives: list[Alternative] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        limit = self.limit.to_dict()

        match_value = self.match_value

        remaining = self.remaining

        resets_at: None | str
        if isinstance(self.resets_at, datetime.datetime):
            resets_at = self.resets_at.isoformat()
        else:
            resets_at = self.resets_at

        status = self.status

        title = self.title

        type_ = self.type_

        used = self.used

        alternatives: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.alternatives, Unset):
            alternatives = []
            for alternatives_item_data in self.alternatives:
                alternatives_item = alternatives_item_data.to_dict()
                alternatives.append(alternatives_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "limit": limit,
                "match_value": match_value,
                "remaining": remaining,
                "resets_at": resets_at,
                "status": status,
                "title": title,
                "type": type_,
                "used": used,
            }
        )
        if alternatives is not UNSET:
            field_dict["alternatives"] = alternatives

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alternative import Alternative  # noqa: PLC0415
        from ..models.limit import Limit  # noqa: PLC0415

        d = dict(src_dict)
        code = cast(Literal["limit_exceeded"], d.pop("code"))
        if code != "limit_exceeded":
            raise ValueError(f"code must match const 'limit_exceeded', got '{code}'")

        detail = d.pop("detail")

        limit = Limit.from_dict(d.pop("limit"))

        match_value = d.pop("match_value")

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

        status = cast(Literal[402], d.pop("status"))
        if status != 402:
            raise ValueError(f"status must match const 402, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/limit_exceeded"], d.pop("type"))
        if type_ != "/errors/limit_exceeded":
            raise ValueError(f"type must match const '/errors/limit_exceeded', got '{type_}'")

        used = d.pop("used")

        _alternatives = d.pop("alternatives", UNSET)
        alternatives: list[Alternative] | Unset = UNSET
        if _alternatives is not UNSET:
            alternatives = []
            for alternatives_item_data in _alternatives:
                alternatives_item = Alternative.from_dict(alternatives_item_data)

                alternatives.append(alternatives_item)

        limit_exceeded_problem = cls(
            code=code,
            detail=detail,
            limit=limit,
            match_value=match_value,
            remaining=remaining,
            resets_at=resets_at,
            status=status,
            title=title,
            type_=type_,
            used=used,
            alternatives=alternatives,
        )

        return limit_exceeded_problem
