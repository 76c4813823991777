from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.charge_cost import ChargeCost
    from ..models.charge_drawn_item import ChargeDrawnItem
    from ..models.charge_metadata_type_0 import ChargeMetadataType0
    from ..models.quote_line import QuoteLine
    from ..models.usage import Usage


T = TypeVar("T", bound="Charge")


@_attrs_define
class Charge:
    """A charge. One priced from `usage` also carries what priced it (`usage`, `lines`, `cost`, …).

    Attributes:
        account_id (str):
        amount (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        available_after (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        created_at (datetime.datetime):
        description (None | str):
        drawn (list[ChargeDrawnItem]):
        id (str):
        metadata (ChargeMetadataType0 | None):
        object_ (Literal['charge']):
        overdraft (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        refunded (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        action (str | Unset):
        cost (ChargeCost | Unset):
        lines (list[QuoteLine] | Unset):
        member (str | Unset):
        model (str | Unset):
        product (str | Unset):
        quote_id (str | Unset):
        rate_card_version (int | Unset):
        usage (Usage | Unset): A usage descriptor (API.md, Usage descriptors): priced by the rate card's item for its
            action and model.
    """

    account_id: str
    amount: float
    available_after: float
    created_at: datetime.datetime
    description: None | str
    drawn: list[ChargeDrawnItem]
    id: str
    metadata: ChargeMetadataType0 | None
    object_: Literal["charge"]
    overdraft: float
    refunded: float
    action: str | Unset = UNSET
    cost: ChargeCost | Unset = UNSET
    lines: list[QuoteLine] | Unset = UNSET
    member: str | Unset = UNSET
    model: str | Unset = UNSET
    product: str | Unset = UNSET
    quote_id: str | Unset = UNSET
    rate_card_version: int | Unset = UNSET
    usage: Usage | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.charge_metadata_type_0 import ChargeMetadataType0  # noqa: PLC0415

        account_id = self.account_id

        amount = self.amount

        available_after = self.available_after

        created_at = self.created_at.isoformat()

        description: None | str
        description = self.description

        drawn = []
        for drawn_item_data in self.drawn:
            drawn_item = drawn_item_data.to_dict()
            drawn.append(drawn_item)

        id = self.id

        metadata: dict[str, Any] | None
        if isinstance(self.metadata, ChargeMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        object_ = self.object_

        overdraft = self.overdraft

        refunded = self.refunded

        action = self.action

        cost: dict[str, Any] | Unset = UNSET
        if not isinstance(self.cost, Unset):
            cost = self.cost.to_dict()

        lines: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.lines, Unset):
            lines = []
            for lines_item_data in self.lines:
                lines_item = lines_item_data.to_dict()
                lines.append(lines_item)

        member = self.member

        model = self.model

        product = self.product

        quote_id = self.quote_id

        rate_card_version = self.rate_card_version

        usage: dict[str, Any] | Unset = UNSET
        if not isinstance(self.usage, Unset):
            usage = self.usage.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "amount": amount,
                "available_after": available_after,
                "created_at": created_at,
                "description": description,
                "drawn": drawn,
                "id": id,
                "metadata": metadata,
                "object": object_,
                "overdraft": overdraft,
                "refunded": refunded,
            }
        )
        if action is not UNSET:
            field_dict["action"] = action
        if cost is not UNSET:
            field_dict["cost"] = cost
        if lines is not UNSET:
            field_dict["lines"] = lines
        if member is not UNSET:
            field_dict["member"] = member
        if model is not UNSET:
            field_dict["model"] = model
        if product is not UNSET:
            field_dict["product"] = product
        if quote_id is not UNSET:
            field_dict["quote_id"] = quote_id
        if rate_card_version is not UNSET:
            field_dict["rate_card_version"] = rate_card_version
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.charge_cost import ChargeCost  # noqa: PLC0415
        from ..models.charge_drawn_item import ChargeDrawnItem  # noqa: PLC0415
        from ..models.charge_metadata_type_0 import ChargeMetadataType0  # noqa: PLC0415
        from ..models.quote_line import QuoteLine  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        amount = d.pop("amount")

        available_after = d.pop("available_after")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        drawn = []
        _drawn = d.pop("drawn")
        for drawn_item_data in _drawn:
            drawn_item = ChargeDrawnItem.from_dict(drawn_item_data)

            drawn.append(drawn_item)

        id = d.pop("id")

        def _parse_metadata(data: object) -> ChargeMetadataType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = ChargeMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ChargeMetadataType0 | None, data)

        metadata = _parse_metadata(d.pop("metadata"))

        object_ = cast(Literal["charge"], d.pop("object"))
        if object_ != "charge":
            raise ValueError(f"object must match const 'charge', got '{object_}'")

        overdraft = d.pop("overdraft")

        refunded = d.pop("refunded")

        action = d.pop("action", UNSET)

        _cost = d.pop("cost", UNSET)
        cost: ChargeCost | Unset
        if isinstance(_cost, Unset):
            cost = UNSET
        else:
            cost = ChargeCost.from_dict(_cost)

        _lines = d.pop("lines", UNSET)
        lines: list[QuoteLine] | Unset = UNSET
        if _lines is not UNSET:
            lines = []
            for lines_item_data in _lines:
                lines_item = QuoteLine.from_dict(lines_item_data)

                lines.append(lines_item)

        member = d.pop("member", UNSET)

        model = d.pop("model", UNSET)

        product = d.pop("product", UNSET)

        quote_id = d.pop("quote_id", UNSET)

        rate_card_version = d.pop("rate_card_version", UNSET)

        _usage = d.pop("usage", UNSET)
        usage: Usage | Unset
        if isinstance(_usage, Unset):
            usage = UNSET
        else:
            usage = Usage.from_dict(_usage)

        charge = cls(
            account_id=account_id,
            amount=amount,
            available_after=available_after,
            created_at=created_at,
            description=description,
            drawn=drawn,
            id=id,
            metadata=metadata,
            object_=object_,
            overdraft=overdraft,
            refunded=refunded,
            action=action,
            cost=cost,
            lines=lines,
            member=member,
            model=model,
            product=product,
            quote_id=quote_id,
            rate_card_version=rate_card_version,
            usage=usage,
        )

        charge.additional_properties = d
        return charge

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
