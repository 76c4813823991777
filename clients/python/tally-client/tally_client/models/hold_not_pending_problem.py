from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.hold_not_pending_problem_hold_status import HoldNotPendingProblemHoldStatus

T = TypeVar("T", bound="HoldNotPendingProblem")


@_attrs_define
class HoldNotPendingProblem:
    """
    Attributes:
        code (Literal['hold_not_pending']):
        detail (str):
        hold_status (HoldNotPendingProblemHoldStatus):
        status (Literal[409]):
        title (str):
        type_ (Literal['/errors/hold_not_pending']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["hold_not_pending"]
    detail: str
    hold_status: HoldNotPendingProblemHoldStatus
    status: Literal[409]
    title: str
    type_: Literal["/errors/hold_not_pending"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        hold_status = self.hold_status.value

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "hold_status": hold_status,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["hold_not_pending"], d.pop("code"))
        if code != "hold_not_pending":
            raise ValueError(f"code must match const 'hold_not_pending', got '{code}'")

        detail = d.pop("detail")

        hold_status = HoldNotPendingProblemHoldStatus(d.pop("hold_status"))

        status = cast(Literal[409], d.pop("status"))
        if status != 409:
            raise ValueError(f"status must match const 409, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/hold_not_pending"], d.pop("type"))
        if type_ != "/errors/hold_not_pending":
            raise ValueError(f"type must match const '/errors/hold_not_pending', got '{type_}'")

        hold_not_pending_problem = cls(
            code=code,
            detail=detail,
            hold_status=hold_status,
            status=status,
            title=title,
            type_=type_,
        )

        return hold_not_pending_problem
