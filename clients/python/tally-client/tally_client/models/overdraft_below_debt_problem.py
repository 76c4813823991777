from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="OverdraftBelowDebtProblem")


@_attrs_define
class OverdraftBelowDebtProblem:
    """
    Attributes:
        code (Literal['overdraft_below_debt']):
        detail (str):
        overdraft_limit_min (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        param (str):
        status (Literal[422]):
        title (str):
        type_ (Literal['/errors/overdraft_below_debt']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["overdraft_below_debt"]
    detail: str
    overdraft_limit_min: float
    param: str
    status: Literal[422]
    title: str
    type_: Literal["/errors/overdraft_below_debt"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        overdraft_limit_min = self.overdraft_limit_min

        param = self.param

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "overdraft_limit_min": overdraft_limit_min,
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
        code = cast(Literal["overdraft_below_debt"], d.pop("code"))
        if code != "overdraft_below_debt":
            raise ValueError(f"code must match const 'overdraft_below_debt', got '{code}'")

        detail = d.pop("detail")

        overdraft_limit_min = d.pop("overdraft_limit_min")

        param = d.pop("param")

        status = cast(Literal[422], d.pop("status"))
        if status != 422:
            raise ValueError(f"status must match const 422, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/overdraft_below_debt"], d.pop("type"))
        if type_ != "/errors/overdraft_below_debt":
            raise ValueError(f"type must match const '/errors/overdraft_below_debt', got '{type_}'")

        overdraft_below_debt_problem = cls(
            code=code,
            detail=detail,
            overdraft_limit_min=overdraft_limit_min,
            param=param,
            status=status,
            title=title,
            type_=type_,
        )

        return overdraft_below_debt_problem
