from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="NotFoundProblem")


@_attrs_define
class NotFoundProblem:
    """
    Attributes:
        code (Literal['not_found']):
        detail (str):
        status (Literal[404]):
        title (str):
        type_ (Literal['/errors/not_found']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["not_found"]
    detail: str
    status: Literal[404]
    title: str
    type_: Literal["/errors/not_found"]

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
        code = cast(Literal["not_found"], d.pop("code"))
        if code != "not_found":
            raise ValueError(f"code must match const 'not_found', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[404], d.pop("status"))
        if status != 404:
            raise ValueError(f"status must match const 404, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/not_found"], d.pop("type"))
        if type_ != "/errors/not_found":
            raise ValueError(f"type must match const '/errors/not_found', got '{type_}'")

        not_found_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return not_found_problem
