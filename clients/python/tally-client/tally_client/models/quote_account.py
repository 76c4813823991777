from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.quote_account_next_reset_type_0 import QuoteAccountNextResetType0


T = TypeVar("T", bound="QuoteAccount")


@_attrs_define
class QuoteAccount:
    """
    Attributes:
        affordable (bool):
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        available_after (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        id (str):
        next_reset (None | QuoteAccountNextResetType0):
    """

    affordable: bool
    available: float
    available_after: float
    id: str
    next_reset: None | QuoteAccountNextResetType0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.quote_account_next_reset_type_0 import QuoteAccountNextResetType0  # noqa: PLC0415

        affordable = self.affordable

        available = self.available

        available_after = self.available_after

        id = self.id

        next_reset: dict[str, Any] | None
        if isinstance(self.next_reset, QuoteAccountNextResetType0):
            next_reset = self.next_reset.to_dict()
        else:
            next_reset = self.next_reset

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "affordable": affordable,
                "available": available,
                "available_after": available_after,
                "id": id,
                "next_reset": next_reset,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.quote_account_next_reset_type_0 import QuoteAccountNextResetType0  # noqa: PLC0415

        d = dict(src_dict)
        affordable = d.pop("affordable")

        available = d.pop("available")

        available_after = d.pop("available_after")

        id = d.pop("id")

        def _parse_next_reset(data: object) -> None | QuoteAccountNextResetType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_reset_type_0 = QuoteAccountNextResetType0.from_dict(data)

                return next_reset_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | QuoteAccountNextResetType0, data)

        next_reset = _parse_next_reset(d.pop("next_reset"))

        quote_account = cls(
            affordable=affordable,
            available=available,
            available_after=available_after,
            id=id,
            next_reset=next_reset,
        )

        quote_account.additional_properties = d
        return quote_account

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
