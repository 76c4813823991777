from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.put_limits_body_limits_item import PutLimitsBodyLimitsItem


T = TypeVar("T", bound="PutLimitsBody")


@_attrs_define
class PutLimitsBody:
    """
    Attributes:
        limits (list[PutLimitsBodyLimitsItem]):
    """

    limits: list[PutLimitsBodyLimitsItem]

    def to_dict(self) -> dict[str, Any]:
        limits = []
        for limits_item_data in self.limits:
            limits_item = limits_item_data.to_dict()
            limits.append(limits_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "limits": limits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.put_limits_body_limits_item import PutLimitsBodyLimitsItem  # noqa: PLC0415

        d = dict(src_dict)
        limits = []
        _limits = d.pop("limits")
        for limits_item_data in _limits:
            limits_item = PutLimitsBodyLimitsItem.from_dict(limits_item_data)

            limits.append(limits_item)

        put_limits_body = cls(
            limits=limits,
        )

        return put_limits_body
