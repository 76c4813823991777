from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CaptureExceedsHoldProblem")


@_attrs_define
class CaptureExceedsHoldProblem:
    """
    Attributes:
        code (Literal['capture_exceeds_hold']):
        detail (str):
        held (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        requested (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        status (Literal[422]):
        title (str):
        type_ (Literal['/errors/capture_exceeds_hold']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["capture_exceeds_hold"]
    detail: str
    held: float
    requested: float
    status: Literal[422]
    title: str
    type_: Literal["/errors/capture_exceeds_hold"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        held = self.held

        requested = self.requested

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "held": held,
                "requested": requested,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["capture_exceeds_hold"], d.pop("code"))
        if code != "capture_exceeds_hold":
            raise ValueError(f"code must match const 'capture_exceeds_hold', got '{code}'")

        detail = d.pop("detail")

        held = d.pop("held")

        requested = d.pop("requested")

        status = cast(Literal[422], d.pop("status"))
        if status != 422:
            raise ValueError(f"status must match const 422, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/capture_exceeds_hold"], d.pop("type"))
        if type_ != "/errors/capture_exceeds_hold":
            raise ValueError(f"type must match const '/errors/capture_exceeds_hold', got '{type_}'")

        capture_exceeds_hold_problem = cls(
            code=code,
            detail=detail,
            held=held,
            requested=requested,
            status=status,
            title=title,
            type_=type_,
        )

        return capture_exceeds_hold_problem
