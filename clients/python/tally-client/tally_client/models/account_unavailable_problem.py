from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="AccountUnavailableProblem")


@_attrs_define
class AccountUnavailableProblem:
    """
    Attributes:
        account_id (str):
        code (Literal['account_unavailable']):
        detail (str):
        status (Literal[503]):
        title (str):
        type_ (Literal['/errors/account_unavailable']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    account_id: str
    code: Literal["account_unavailable"]
    detail: str
    status: Literal[503]
    title: str
    type_: Literal["/errors/account_unavailable"]

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        code = self.code

        detail = self.detail

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
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
        account_id = d.pop("account_id")

        code = cast(Literal["account_unavailable"], d.pop("code"))
        if code != "account_unavailable":
            raise ValueError(f"code must match const 'account_unavailable', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[503], d.pop("status"))
        if status != 503:
            raise ValueError(f"status must match const 503, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/account_unavailable"], d.pop("type"))
        if type_ != "/errors/account_unavailable":
            raise ValueError(f"type must match const '/errors/account_unavailable', got '{type_}'")

        account_unavailable_problem = cls(
            account_id=account_id,
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return account_unavailable_problem
