from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="RateLimitedProblem")


@_attrs_define
class RateLimitedProblem:
    """
    Attributes:
        code (Literal['rate_limited']):
        detail (str):
        status (Literal[429]):
        title (str):
        type_ (Literal['/errors/rate_limited']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["rate_limited"]
    detail: str
    status: Literal[429]
    title: str
    type_: Literal["/errors/rate_limited"]

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
        code = cast(Literal["rate_limited"], d.pop("code"))
        if code != "rate_limited":
            raise ValueError(f"code must match const 'rate_limited', got '{code}'")

        detail = d.pop("detail")

        status = cast(Literal[429], d.pop("status"))
        if status != 429:
            raise ValueError(f"status must match const 429, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/rate_limited"], d.pop("type"))
        if type_ != "/errors/rate_limited":
            raise ValueError(f"type must match const '/errors/rate_limited', got '{type_}'")

        rate_limited_problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
        )

        return rate_limited_problem
