from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Problem413")


@_attrs_define
class Problem413:
    """
    Attributes:
        code (Literal['payload_too_large']):
        detail (str):
        limit_bytes (int):
        status (Literal[413]):
        title (str):
        type_ (Literal['/errors/payload_too_large']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["payload_too_large"]
    detail: str
    limit_bytes: int
    status: Literal[413]
    title: str
    type_: Literal["/errors/payload_too_large"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        limit_bytes = self.limit_bytes

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "limit_bytes": limit_bytes,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["payload_too_large"], d.pop("code"))
        if code != "payload_too_large":
            raise ValueError(f"code must match const 'payload_too_large', got '{code}'")

        detail = d.pop("detail")

        limit_bytes = d.pop("limit_bytes")

        status = cast(Literal[413], d.pop("status"))
        if status != 413:
            raise ValueError(f"status must match const 413, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/payload_too_large"], d.pop("type"))
        if type_ != "/errors/payload_too_large":
            raise ValueError(f"type must match const '/errors/payload_too_large', got '{type_}'")

        problem_413 = cls(
            code=code,
            detail=detail,
            limit_bytes=limit_bytes,
            status=status,
            title=title,
            type_=type_,
        )

        return problem_413
