from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="BatchBody")


@_attrs_define
class BatchBody:
    """
    Attributes:
        operations (list[Any]):
    """

    operations: list[Any]

    def to_dict(self) -> dict[str, Any]:
        operations = self.operations

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "operations": operations,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        operations = cast(list[Any], d.pop("operations"))

        batch_body = cls(
            operations=operations,
        )

        return batch_body
