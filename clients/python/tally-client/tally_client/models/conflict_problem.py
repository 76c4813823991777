from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ConflictProblem")


@_attrs_define
class ConflictProblem:
    """
    Attributes:
        code (Literal['conflict']):
        detail (str):
        status (Literal[409]):
        title (str):
        type_ (Literal['/errors/conflict']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["conflict"]
    detail: str
    status: Literal[409]
    title: str
    type_: Literal["/errors/conflict"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["conflict"], d.pop("code"))
        if code != "conflict":
            raise ValueError(f"code must match const 'conflict', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[409], d.pop("status"))
        if status != 409:
            raise ValueError(f"status must match const 409, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/conflict"], d.pop("type"))
        if type_ != "/errors/conflict":
            raise ValueError(f"type must match const '/errors/conflict', got '{type_}'")

        conflict_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return conflict_problem
