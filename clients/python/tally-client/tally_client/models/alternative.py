from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.alternative_cost import AlternativeCost


T = TypeVar("T", bound="Alternative")


@_attrs_define
class Alternative:
    """
    Attributes:
        cost (AlternativeCost):
        model (str):
        affordable (bool | Unset):
    """

    cost: AlternativeCost
    model: str
    affordable: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        cost = self.cost.to_dict()

        model = self.model

        affordable = self.affordable

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "cost": cost,
                "model": model,
            }
        )
        if affordable is not UNSET:
            field_dict["affordable"] = affordable

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alternative_cost import AlternativeCost  # noqa: PLC0415

        d = dict(src_dict)
        cost = AlternativeCost.from_dict(d.pop("cost"))

        model = d.pop("model")

        affordable = d.pop("affordable", UNSET)

        alternative = cls(
            cost=cost,
            model=model,
            affordable=affordable,
        )

        return alternative
