from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ForbiddenProblem")


@_attrs_define
class ForbiddenProblem:
    """
    Attributes:
        code (Literal['forbidden']):
        detail (str):
        status (Literal[403]):
        title (str):
        type_ (Literal['/errors/forbidden']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["forbidden"]
    detail: str
    status: Literal[403]
    title: str
    type_: Literal["/errors/forbidden"]

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
        code = cast(Literal["forbidden"], d.pop("code"))
        if code != "forbidden":
            raise ValueError(f"code must match const 'forbidden', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[403], d.pop("status"))
        if status != 403:
            raise ValueError(f"status must match const 403, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/forbidden"], d.pop("type"))
        if type_ != "/errors/forbidden":
            raise ValueError(f"type must match const '/errors/forbidden', got '{type_}'")

        forbidden_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return forbidden_problem
