from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="HeadersTooLargeProblem")


@_attrs_define
class HeadersTooLargeProblem:
    """
    Attributes:
        code (Literal['headers_too_large']):
        detail (str):
        status (Literal[431]):
        title (str):
        type_ (Literal['/errors/headers_too_large']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["headers_too_large"]
    detail: str
    status: Literal[431]
    title: str
    type_: Literal["/errors/headers_too_large"]

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
        code = cast(Literal["headers_too_large"], d.pop("code"))
        if code != "headers_too_large":
            raise ValueError(f"code must match const 'headers_too_large', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[431], d.pop("status"))
        if status != 431:
            raise ValueError(f"status must match const 431, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/headers_too_large"], d.pop("type"))
        if type_ != "/errors/headers_too_large":
            raise ValueError(f"type must match const '/errors/headers_too_large', got '{type_}'")

        headers_too_large_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return headers_too_large_problem
