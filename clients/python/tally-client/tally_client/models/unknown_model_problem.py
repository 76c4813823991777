from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="UnknownModelProblem")


@_attrs_define
class UnknownModelProblem:
    """
    Attributes:
        code (Literal['unknown_model']):
        detail (str):
        param (str):
        status (Literal[422]):
        title (str):
        type_ (Literal['/errors/unknown_model']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["unknown_model"]
    detail: str
    param: str
    status: Literal[422]
    title: str
    type_: Literal["/errors/unknown_model"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        param = self.param

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "param": param,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["unknown_model"], d.pop("code"))
        if code != "unknown_model":
            raise ValueError(f"code must match const 'unknown_model', got '{code}'")

        detail = d.pop("detail")

        param = d.pop("param")

        status = cast(Literal[422], d.pop("status"))
        if status != 422:
            raise ValueError(f"status must match const 422, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/unknown_model"], d.pop("type"))
        if type_ != "/errors/unknown_model":
            raise ValueError(f"type must match const '/errors/unknown_model', got '{type_}'")

        unknown_model_problem = cls(
            code=code,
            detail=detail,
            param=param,
            status=status,
            title=title,
            type_=type_,
        )

        return unknown_model_problem
