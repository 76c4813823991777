from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PortalSession")


@_attrs_define
class PortalSession:
    """
    Attributes:
        account_id (str):
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        id (str):
        object_ (Literal['portal_session']):
        return_url (None | str):
        url (str | Unset): The single-use link: only in the answer that minted it.
    """

    account_id: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    object_: Literal["portal_session"]
    return_url: None | str
    url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        object_ = self.object_

        return_url: None | str
        return_url = self.return_url

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "object": object_,
                "return_url": return_url,
            }
        )
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        object_ = cast(Literal["portal_session"], d.pop("object"))
        if object_ != "portal_session":
            raise ValueError(f"object must match const 'portal_session', got '{object_}'")

        def _parse_return_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        return_url = _parse_return_url(d.pop("return_url"))

        url = d.pop("url", UNSET)

        portal_session = cls(
            account_id=account_id,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            object_=object_,
            return_url=return_url,
            url=url,
        )

        return portal_session
