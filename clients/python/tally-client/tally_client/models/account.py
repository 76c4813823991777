from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.account_metadata_type_0 import AccountMetadataType0
    from ..models.balance import Balance


T = TypeVar("T", bound="Account")


@_attrs_define
class Account:
    """
    Attributes:
        balance (Balance):
        created_at (datetime.datetime):
        id (str):
        low_balance_threshold (float | None):
        metadata (AccountMetadataType0 | None):
        name (None | str):
        object_ (Literal['account']):
        overdraft_limit (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        time_zone (str):
    """

    balance: Balance
    created_at: datetime.datetime
    id: str
    low_balance_threshold: float | None
    metadata: AccountMetadataType0 | None
    name: None | str
    object_: Literal["account"]
    overdraft_limit: float
    time_zone: str

    def to_dict(self) -> dict[str, Any]:
        from ..models.account_metadata_type_0 import AccountMetadataType0  # noqa: PLC0415

        balance = self.balance.to_dict()

        created_at = self.created_at.isoformat()

        id = self.id

        low_balance_threshold: float | None
        low_balance_threshold = self.low_balance_threshold

        metadata: dict[str, Any] | None
        if isinstance(self.metadata, AccountMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        name: None | str
        name = self.name

        object_ = self.object_

        overdraft_limit = self.overdraft_limit

        time_zone = self.time_zone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "balance": balance,
                "created_at": created_at,
                "id": id,
                "low_balance_threshold": low_balance_threshold,
                "metadata": metadata,
                "name": name,
                "object": object_,
                "overdraft_limit": overdraft_limit,
                "time_zone": time_zone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_metadata_type_0 import AccountMetadataType0  # noqa: PLC0415
        from ..models.balance import Balance  # noqa: PLC0415

        d = dict(src_dict)
        balance = Balance.from_dict(d.pop("balance"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        def _parse_low_balance_threshold(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        low_balance_threshold = _parse_low_balance_threshold(d.pop("low_balance_threshold"))

        def _parse_metadata(data: object) -> AccountMetadataType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = AccountMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AccountMetadataType0 | None, data)

        metadata = _parse_metadata(d.pop("metadata"))

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))

        object_ = cast(Literal["account"], d.pop("object"))
        if object_ != "account":
            raise ValueError(f"object must match const 'account', got '{object_}'")

        overdraft_limit = d.pop("overdraft_limit")

        time_zone = d.pop("time_zone")

        account = cls(
            balance=balance,
            created_at=created_at,
            id=id,
            low_balance_threshold=low_balance_threshold,
            metadata=metadata,
            name=name,
            object_=object_,
            overdraft_limit=overdraft_limit,
            time_zone=time_zone,
        )

        return account
