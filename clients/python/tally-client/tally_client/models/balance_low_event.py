from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.balance_low_event_data import BalanceLowEventData


T = TypeVar("T", bound="BalanceLowEvent")


@_attrs_define
class BalanceLowEvent:
    """
    Attributes:
        account_id (str):
        created_at (datetime.datetime):
        data (BalanceLowEventData):
        id (str):
        object_ (Literal['event']):
        sequence (int):
        type_ (Literal['balance.low']):
    """

    account_id: str
    created_at: datetime.datetime
    data: BalanceLowEventData
    id: str
    object_: Literal["event"]
    sequence: int
    type_: Literal["balance.low"]

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        created_at = self.created_at.isoformat()

        data = self.data.to_dict()

        id = self.id

        object_ = self.object_

        sequence = self.sequence

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "created_at": created_at,
                "data": data,
                "id": id,
                "object": object_,
                "sequence": sequence,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance_low_event_data import BalanceLowEventData  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        data = BalanceLowEventData.from_dict(d.pop("data"))

        id = d.pop("id")

        object_ = cast(Literal["event"], d.pop("object"))
        if object_ != "event":
            raise ValueError(f"object must match const 'event', got '{object_}'")

        sequence = d.pop("sequence")

        type_ = cast(Literal["balance.low"], d.pop("type"))
        if type_ != "balance.low":
            raise ValueError(f"type must match const 'balance.low', got '{type_}'")

        balance_low_event = cls(
            account_id=account_id,
            created_at=created_at,
            data=data,
            id=id,
            object_=object_,
            sequence=sequence,
            type_=type_,
        )

        return balance_low_event
