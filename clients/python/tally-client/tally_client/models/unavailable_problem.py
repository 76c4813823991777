from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="UnavailableProblem")


@_attrs_define
class UnavailableProblem:
    """
    Attributes:
        code (Literal['unavailable']):
        detail (str):
        status (Literal[503]):
        title (str):
        type_ (Literal['/errors/unavailable']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["unavailable"]
    detail: str
    status: Literal[503]
    title: str
    type_: Literal["/errors/unavailable"]

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
        code = cast(Literal["unavailable"], d.pop("code"))
        if code != "unavailable":
            raise ValueError(f"code must match const 'unavailable', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[503], d.pop("status"))
        if status != 503:
            raise ValueError(f"status must match const 503, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/unavailable"], d.pop("type"))
        if type_ != "/errors/unavailable":
            raise ValueError(f"type must match const '/errors/unavailable', got '{type_}'")

        unavailable_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return unavailable_problem
