from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.alternative import Alternative


T = TypeVar("T", bound="InsufficientCreditsProblem")


@_attrs_define
class InsufficientCreditsProblem:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        code (Literal['insufficient_credits']):
        detail (str):
        required (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        status (Literal[402]):
        title (str):
        type_ (Literal['/errors/insufficient_credits']): `/docs/errors#<code>`: the code's section of docs/errors.md.
        alternatives (list[Alternative] | Unset):
    """

    available: float
    code: Literal["insufficient_credits"]
    detail: str
    required: float
    status: Literal[402]
    title: str
    type_: Literal["/errors/insufficient_credits"]
    alternatives: list[Alternative] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        code = self.code

        detail = self.detail

        required = self.required

        status = self.status

        title = self.title

        type_ = self.type_

        alternatives: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.alternatives, Unset):
            alternatives = []
            for alternatives_item_data in self.alternatives:
                alternatives_item = alternatives_item_data.to_dict()
                alternatives.append(alternatives_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "code": code,
                "detail": detail,
                "required": required,
                "status": status,
                "title": title,
                "type": type_,
            }
        )
        if alternatives is not UNSET:
            field_dict["alternatives"] = alternatives

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alternative import Alternative  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        code = cast(Literal["insufficient_credits"], d.pop("code"))
        if code != "insufficient_credits":
            raise ValueError(f"code must match const 'insufficient_credits', got '{code}'")

        detail = d.pop("detail")

        required = d.pop("required")

        status = cast(Literal[402], d.pop("status"))
        if status != 402:
            raise ValueError(f"status must match const 402, got '{status}'")

        title = d.pop("title")

        type_ = cast(Literal["/errors/insufficient_credits"], d.pop("type"))
        if type_ != "/errors/insufficient_credits":
            raise ValueError(f"type must match const '/errors/insufficient_credits', got '{type_}'")

        _alternatives = d.pop("alternatives", UNSET)
        alternatives: list[Alternative] | Unset = UNSET
        if _alternatives is not UNSET:
            alternatives = []
            for alternatives_item_data in _alternatives:
                alternatives_item = Alternative.from_dict(alternatives_item_data)

                alternatives.append(alternatives_item)

        insufficient_credits_problem = cls(
            available=available,
            code=code,
            detail=detail,
            required=required,
            status=status,
            title=title,
            type_=type_,
            alternatives=alternatives,
        )

        return insufficient_credits_problem
