from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.grant_source import GrantSource
from ..models.grant_status import GrantStatus

if TYPE_CHECKING:
    from ..models.grant_metadata_type_0 import GrantMetadataType0


T = TypeVar("T", bound="Grant")


@_attrs_define
class Grant:
    """
    Attributes:
        account_id (str):
        amount (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        created_at (datetime.datetime):
        description (None | str):
        effective_at (datetime.datetime):
        expires_at (datetime.datetime | None):
        id (str):
        metadata (GrantMetadataType0 | None):
        object_ (Literal['grant']):
        priority (int):
        remaining (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        reserved (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        source (GrantSource):
        status (GrantStatus):
    """

    account_id: str
    amount: float
    created_at: datetime.datetime
    description: None | str
    effective_at: datetime.datetime
    expires_at: datetime.datetime | None
    id: str
    metadata: GrantMetadataType0 | None
    object_: Literal["grant"]
    priority: int
    remaining: float
    reserved: float
    source: GrantSource
    status: GrantStatus

    def to_dict(self) -> dict[str, Any]:
        from ..models.grant_metadata_type_0 import GrantMetadataType0  # noqa: PLC0415

        account_id = self.account_id

        amount = self.amount

        created_at = self.created_at.isoformat()

        description: None | str
        description = self.description

        effective_at = self.effective_at.isoformat()

        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        id = self.id

        metadata: dict[str, Any] | None
        if isinstance(self.metadata, GrantMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        object_ = self.object_

        priority = self.priority

        remaining = self.remaining

        reserved = self.reserved

        source = self.source.value

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "amount": amount,
                "created_at": created_at,
                "description": description,
                "effective_at": effective_at,
                "expires_at": expires_at,
                "id": id,
                "metadata": metadata,
                "object": object_,
                "priority": priority,
                "remaining": remaining,
                "reserved": reserved,
                "source": source,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant_metadata_type_0 import GrantMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        amount = d.pop("amount")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        id = d.pop("id")

        def _parse_metadata(data: object) -> GrantMetadataType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = GrantMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GrantMetadataType0 | None, data)

        metadata = _parse_metadata(d.pop("metadata"))

        object_ = cast(Literal["grant"], d.pop("object"))
        if object_ != "grant":
            raise ValueError(f"object must match const 'grant', got '{object_}'")

        priority = d.pop("priority")

        remaining = d.pop("remaining")

        reserved = d.pop("reserved")

        source = GrantSource(d.pop("source"))

        status = GrantStatus(d.pop("status"))

        grant = cls(
            account_id=account_id,
            amount=amount,
            created_at=created_at,
            description=description,
            effective_at=effective_at,
            expires_at=expires_at,
            id=id,
            metadata=metadata,
            object_=object_,
            priority=priority,
            remaining=remaining,
            reserved=reserved,
            source=source,
            status=status,
        )

        return grant
