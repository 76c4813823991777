from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="RefundExceedsChargeProblem")


@_attrs_define
class RefundExceedsChargeProblem:
    """
    Attributes:
        code (Literal['refund_exceeds_charge']):
        detail (str):
        refundable (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        status (Literal[422]):
        title (str):
        type_ (Literal['/errors/refund_exceeds_charge']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["refund_exceeds_charge"]
    detail: str
    refundable: float
    status: Literal[422]
    title: str
    type_: Literal["/errors/refund_exceeds_charge"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        refundable = self.refundable

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "refundable": refundable,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["refund_exceeds_charge"], d.pop("code"))
        if code != "refund_exceeds_charge":
            raise ValueError(f"code must match const 'refund_exceeds_charge', got '{code}'")

        detail = d.pop("detail")

        refundable = d.pop("refundable")

        status = cast(Literal[422], d.pop("status"))
        if status != 422:
            raise ValueError(f"status must match const 422, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/refund_exceeds_charge"], d.pop("type"))
        if type_ != "/errors/refund_exceeds_charge":
            raise ValueError(f"type must match const '/errors/refund_exceeds_charge', got '{type_}'")

        refund_exceeds_charge_problem = cls(
            code=code,
            detail=detail,
            refundable=refundable,
            status=status,
            title=title,
            type_=type_,
        )

        return refund_exceeds_charge_problem
