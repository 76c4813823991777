from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="InvalidAmountProblem")


@_attrs_define
class InvalidAmountProblem:
    """
    Attributes:
        code (Literal['invalid_amount']):
        detail (str):
        param (str):
        status (Literal[422]):
        title (str):
        type_ (Literal['/errors/invalid_amount']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["invalid_amount"]
    detail: str
    param: str
    status: Literal[422]
    title: str
    type_: Literal["/errors/invalid_amount"]

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
        code = cast(Literal["invalid_amount"], d.pop("code"))
        if code != "invalid_amount":
            raise ValueError(f"code must match const 'invalid_amount', got '{code}'")

        detail = d.pop("detail")

        param = d.pop("param")

        status = cast(Literal[422], d.pop("status"))
        if status != 422:
            raise ValueError(f"status must match const 422, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/invalid_amount"], d.pop("type"))
        if type_ != "/errors/invalid_amount":
            raise ValueError(f"type must match const '/errors/invalid_amount', got '{type_}'")

        invalid_amount_problem = cls(
            code=code,
            detail=detail,
            param=param,
            status=status,
            title=title,
            type_=type_,
        )

        return invalid_amount_problem
