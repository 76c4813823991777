from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Problem500")


@_attrs_define
class Problem500:
    """
    Attributes:
        code (Literal['internal']):
        detail (str):
        status (Literal[500]):
        title (str):
        type_ (Literal['/errors/internal']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["internal"]
    detail: str
    status: Literal[500]
    title: str
    type_: Literal["/errors/internal"]

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
        code = cast(Literal["internal"], d.pop("code"))
        if code != "internal":
            raise ValueError(f"code must match const 'internal', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[500], d.pop("status"))
        if status != 500:
            raise ValueError(f"status must match const 500, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/internal"], d.pop("type"))
        if type_ != "/errors/internal":
            raise ValueError(f"type must match const '/errors/internal', got '{type_}'")

        problem_500 = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return problem_500
