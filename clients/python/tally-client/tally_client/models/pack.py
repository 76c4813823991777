from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Pack")


@_attrs_define
class Pack:
    """
    Attributes:
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        expires_after_days (int | None):
        id (str):
        name (str):
        object_ (Literal['pack']):
        price_usd (float): US dollars, exact.
    """

    credits_: float
    expires_after_days: int | None
    id: str
    name: str
    object_: Literal["pack"]
    price_usd: float

    def to_dict(self) -> dict[str, Any]:
        credits_ = self.credits_

        expires_after_days: int | None
        expires_after_days = self.expires_after_days

        id = self.id

        name = self.name

        object_ = self.object_

        price_usd = self.price_usd

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "credits": credits_,
                "expires_after_days": expires_after_days,
                "id": id,
                "name": name,
                "object": object_,
                "price_usd": price_usd,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        credits_ = d.pop("credits")

        def _parse_expires_after_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        expires_after_days = _parse_expires_after_days(d.pop("expires_after_days"))

        id = d.pop("id")

        name = d.pop("name")

        object_ = cast(Literal["pack"], d.pop("object"))
        if object_ != "pack":
            raise ValueError(f"object must match const 'pack', got '{object_}'")

        price_usd = d.pop("price_usd")

        pack = cls(
            credits_=credits_,
            expires_after_days=expires_after_days,
            id=id,
            name=name,
            object_=object_,
            price_usd=price_usd,
        )

        return pack
