from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.purchase_not_pending_problem_purchase_status import PurchaseNotPendingProblemPurchaseStatus

T = TypeVar("T", bound="PurchaseNotPendingProblem")


@_attrs_define
class PurchaseNotPendingProblem:
    """
    Attributes:
        code (Literal['purchase_not_pending']):
        detail (str):
        purchase_status (PurchaseNotPendingProblemPurchaseStatus):
        status (Literal[409]):
        title (str):
        type_ (Literal['/errors/purchase_not_pending']): `/docs/errors#<code>`: the code's section of docs/errors.md.
    """

    code: Literal["purchase_not_pending"]
    detail: str
    purchase_status: PurchaseNotPendingProblemPurchaseStatus
    status: Literal[409]
    title: str
    type_: Literal["/errors/purchase_not_pending"]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        purchase_status = self.purchase_status.value

        status = self.status

        title = self.title

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "purchase_status": purchase_status,
                "status": status,
                "title": title,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = cast(Literal["purchase_not_pending"], d.pop("code"))
        if code != "purchase_not_pending":
            raise ValueError(f"code must match const 'purchase_not_pending', got '{code}'")

        detail = d.pop("detail")

        purchase_status = PurchaseNotPendingProblemPurchaseStatus(d.pop("purchase_status"))

        status = cast(Literal[409], d.pop("status"))
        if status != 409:
            raise ValueError(f"status must match const 409, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/purchase_not_pending"], d.pop("type"))
        if type_ != "/errors/purchase_not_pending":
            raise ValueError(f"type must match const '/errors/purchase_not_pending', got '{type_}'")

        purchase_not_pending_problem = cls(
            code=code,
            detail=detail,
            purchase_status=purchase_status,
            status=status,
            title=title,
            type_=type_,
        )

        return purchase_not_pending_problem
