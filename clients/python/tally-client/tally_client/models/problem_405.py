from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Problem405")


@_attrs_define
class Problem405:
    """
    Attributes:
        code (Literal['method_not_allowed']):
        detail (str):
        status (Literal[405]):
        title (str):
        type_ (Literal['/errors/method_not_allowed']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["method_not_allowed"]
    detail: str
    status: Literal[405]
    title: str
    type_: Literal["/errors/method_not_allowed"]

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
        code = cast(Literal["method_not_allowed"], d.pop("code"))
        if code != "method_not_allowed":
            raise ValueError(f"code must match const 'method_not_allowed', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[405], d.pop("status"))
        if status != 405:
            raise ValueError(f"status must match const 405, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/method_not_allowed"], d.pop("type"))
        if type_ != "/errors/method_not_allowed":
            raise ValueError(f"type must match const '/errors/method_not_allowed', got '{type_}'")

        problem_405 = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return problem_405
