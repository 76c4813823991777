from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="UnauthorizedProblem")


@_attrs_define
class UnauthorizedProblem:
    """
    Attributes:
        code (Literal['unauthorized']):
        detail (str):
        status (Literal[401]):
        title (str):
        type_ (Literal['/errors/unauthorized']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["unauthorized"]
    detail: str
    status: Literal[401]
    title: str
    type_: Literal["/errors/unauthorized"]

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
        code = cast(Literal["unauthorized"], d.pop("code"))
        if code != "unauthorized":
            raise ValueError(f"code must match const 'unauthorized', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[401], d.pop("status"))
        if status != 401:
            raise ValueError(f"status must match const 401, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/unauthorized"], d.pop("type"))
        if type_ != "/errors/unauthorized":
            raise ValueError(f"type must match const '/errors/unauthorized', got '{type_}'")

        unauthorized_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return unauthorized_problem
