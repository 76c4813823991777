from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Redelivery")


@_attrs_define
class Redelivery:
    """
    Attributes:
        endpoints (list[str]):
        event_id (str):
    """

    endpoints: list[str]
    event_id: str

    def to_dict(self) -> dict[str, Any]:
        endpoints = self.endpoints

        event_id = self.event_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "endpoints": endpoints,
                "event_id": event_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        endpoints = cast(list[str], d.pop("endpoints"))

        event_id = d.pop("event_id")

        redelivery = cls(
            endpoints=endpoints,
            event_id=event_id,
        )

        return redelivery
