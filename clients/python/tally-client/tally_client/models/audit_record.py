from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="AuditRecord")


@_attrs_define
class AuditRecord:
    """
    Attributes:
        account_id (None | str):
        action (str):
        actor (str):
        created_at (datetime.datetime):
        id (str):
        object_ (Literal['audit_record']):
        target_id (str):
    """

    account_id: None | str
    action: str
    actor: str
    created_at: datetime.datetime
    id: str
    object_: Literal["audit_record"]
    target_id: str

    def to_dict(self) -> dict[str, Any]:
        account_id: None | str
        account_id = self.account_id

        action = self.action

        actor = self.actor

        created_at = self.created_at.isoformat()

        id = self.id

        object_ = self.object_

        target_id = self.target_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "action": action,
                "actor": actor,
                "created_at": created_at,
                "id": id,
                "object": object_,
                "target_id": target_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_account_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        account_id = _parse_account_id(d.pop("account_id"))

        action = d.pop("action")

        actor = d.pop("actor")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        object_ = cast(Literal["audit_record"], d.pop("object"))
        if object_ != "audit_record":
            raise ValueError(f"object must match const 'audit_record', got '{object_}'")

        target_id = d.pop("target_id")

        audit_record = cls(
            account_id=account_id,
            action=action,
            actor=actor,
            created_at=created_at,
            id=id,
            object_=object_,
            target_id=target_id,
        )

        return audit_record
