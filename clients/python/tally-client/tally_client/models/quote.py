from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.alternative import Alternative
    from ..models.quote_account import QuoteAccount
    from ..models.quote_cost import QuoteCost
    from ..models.quote_line import QuoteLine
    from ..models.usage import Usage


T = TypeVar("T", bound="Quote")


@_attrs_define
class Quote:
    """A quote: the cost of a usage, its price held for 15 minutes.

    Attributes:
        cost (QuoteCost):
        created_at (datetime.datetime):
        exact (bool):
        expires_at (datetime.datetime):
        id (str):
        lines (list[QuoteLine]):
        object_ (Literal['quote']):
        rate_card_version (int):
        usage (Usage): A usage descriptor (API.md, Usage descriptors): priced by the rate card's item for its action and
            model.
        account (QuoteAccount | Unset):
        alternatives (list[Alternative] | Unset):
    """

    cost: QuoteCost
    created_at: datetime.datetime
    exact: bool
    expires_at: datetime.datetime
    id: str
    lines: list[QuoteLine]
    object_: Literal["quote"]
    rate_card_version: int
    usage: Usage
    account: QuoteAccount | Unset = UNSET
    alternatives: list[Alternative] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost = self.cost.to_dict()

        created_at = self.created_at.isoformat()

        exact = self.exact

        expires_at = self.expires_at.isoformat()

        id = self.id

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        object_ = self.object_

        rate_card_version = self.rate_card_version

        usage = self.usage.to_dict()

        account: dict[str, Any] | Unset = UNSET
        if not isinstance(self.account, Unset):
            account = self.account.to_dict()

        alternatives: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.alternatives, Unset):
            alternatives = []
            for alternatives_item_data in self.alternatives:
                alternatives_item = alternatives_item_data.to_dict()
                alternatives.append(alternatives_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost": cost,
                "created_at": created_at,
                "exact": exact,
                "expires_at": expires_at,
                "id": id,
                "lines": lines,
                "object": object_,
                "rate_card_version": rate_card_version,
                "usage": usage,
            }
        )
        if account is not UNSET:
            field_dict["account"] = account
        if alternatives is not UNSET:
            field_dict["alternatives"] = alternatives

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alternative import Alternative  # noqa: PLC0415
        from ..models.quote_account import QuoteAccount  # noqa: PLC0415
        from ..models.quote_cost import QuoteCost  # noqa: PLC0415
        from ..models.quote_line import QuoteLine  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        cost = QuoteCost.from_dict(d.pop("cost"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        exact = d.pop("exact")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = QuoteLine.from_dict(lines_item_data)

            lines.append(lines_item)

        object_ = cast(Literal["quote"], d.pop("object"))
        if object_ != "quote":
            raise ValueError(f"object must match const 'quote', got '{object_}'")

        rate_card_version = d.pop("rate_card_version")

        usage = Usage.from_dict(d.pop("usage"))

        _account = d.pop("account", UNSET)
        account: QuoteAccount | Unset
        if isinstance(_account, Unset):
            account = UNSET
        else:
            account = QuoteAccount.from_dict(_account)

        _alternatives = d.pop("alternatives", UNSET)
        alternatives: list[Alternative] | Unset = UNSET
        if _alternatives is not UNSET:
            alternatives = []
            for alternatives_item_data in _alternatives:
                alternatives_item = Alternative.from_dict(alternatives_item_data)

                alternatives.append(alternatives_item)

        quote = cls(
            cost=cost,
            created_at=created_at,
            exact=exact,
            expires_at=expires_at,
            id=id,
            lines=lines,
            object_=object_,
            rate_card_version=rate_card_version,
            usage=usage,
            account=account,
            alternatives=alternatives,
        )

        quote.additional_properties = d
        return quote

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
