from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="InvalidJsonProblem")


@_attrs_define
class InvalidJsonProblem:
    """
    Attributes:
        code (Literal['invalid_json']):
        detail (str):
        status (Literal[400]):
        title (str):
        type_ (Literal['/errors/invalid_json']): `/docs/errors#<code>`: the code's section of docs/errors.md.
        param (str | Unset):
    """

    code: Literal["invalid_json"]
    detail: str
    status: Literal[400]
    title: str
    type_: Literal["/errors/invalid_json"]
    param: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        status = self.status

        title = self.title

        type_ = self.type_

        param = self.param

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
        if param is not UNSET:
            field_dict["param"] = param

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["invalid_json"], d.pop("code"))
        if code != "invalid_json":
            raise ValueError(f"code must match const 'invalid_json', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[400], d.pop("status"))
        if status != 400:
            raise ValueError(f"status must match const 400, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/invalid_json"], d.pop("type"))
        if type_ != "/errors/invalid_json":
            raise ValueError(f"type must match const '/errors/invalid_json', got '{type_}'")

        param = d.pop("param", UNSET)

        invalid_json_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
            param=param,
        )

        return invalid_json_problem
