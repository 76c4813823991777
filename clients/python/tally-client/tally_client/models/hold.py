from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.hold_status import HoldStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.hold_cost import HoldCost
    from ..models.hold_metadata_type_0 import HoldMetadataType0
    from ..models.quote_line import QuoteLine
    from ..models.usage import Usage


T = TypeVar("T", bound="Hold")


@_attrs_define
class Hold:
    """A hold. One made from `usage` also carries what priced it (`usage`, `lines`, `cost`, …).

    Attributes:
        account_id (str):
        amount (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        captured (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        created_at (datetime.datetime):
        description (None | str):
        expires_at (datetime.datetime):
        id (str):
        metadata (HoldMetadataType0 | None):
        object_ (Literal['hold']):
        refunded (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        released (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        resolved_at (datetime.datetime | None):
        status (HoldStatus):
        action (str | Unset):
        cost (HoldCost | Unset):
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
    captured: float
    created_at: datetime.datetime
    description: None | str
    expires_at: datetime.datetime
    id: str
    metadata: HoldMetadataType0 | None
    object_: Literal["hold"]
    refunded: float
    released: float
    resolved_at: datetime.datetime | None
    status: HoldStatus
    action: str | Unset = UNSET
    cost: HoldCost | Unset = UNSET
    lines: list[QuoteLine] | Unset = UNSET
    member: str | Unset = UNSET
    model: str | Unset = UNSET
    product: str | Unset = UNSET
    quote_id: str | Unset = UNSET
    rate_card_version: int | Unset = UNSET
    usage: Usage | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.hold_metadata_type_0 import HoldMetadataType0  # noqa: PLC0415

        account_id = self.account_id

        amount = self.amount

        captured = self.captured

        created_at = self.created_at.isoformat()

        description: None | str
        description = self.description

        expires_at = self.expires_at.isoformat()

        id = self.id

        metadata: dict[str, Any] | None
        if isinstance(self.metadata, HoldMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        object_ = self.object_

        refunded = self.refunded

        released = self.released

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        status = self.status.value

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
                "captured": captured,
                "created_at": created_at,
                "description": description,
                "expires_at": expires_at,
                "id": id,
                "metadata": metadata,
                "object": object_,
                "refunded": refunded,
                "released": released,
                "resolved_at": resolved_at,
                "status": status,
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
        from ..models.hold_cost import HoldCost  # noqa: PLC0415
        from ..models.hold_metadata_type_0 import HoldMetadataType0  # noqa: PLC0415
        from ..models.quote_line import QuoteLine  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        amount = d.pop("amount")

        captured = d.pop("captured")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        def _parse_metadata(data: object) -> HoldMetadataType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = HoldMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(HoldMetadataType0 | None, data)

        metadata = _parse_metadata(d.pop("metadata"))

        object_ = cast(Literal["hold"], d.pop("object"))
        if object_ != "hold":
            raise ValueError(f"object must match const 'hold', got '{object_}'")

        refunded = d.pop("refunded")

        released = d.pop("released")

        def _parse_resolved_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resolved_at_type_0 = datetime.datetime.fromisoformat(data)

                return resolved_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resolved_at = _parse_resolved_at(d.pop("resolved_at"))

        status = HoldStatus(d.pop("status"))

        action = d.pop("action", UNSET)

        _cost = d.pop("cost", UNSET)
        cost: HoldCost | Unset
        if isinstance(_cost, Unset):
            cost = UNSET
        else:
            cost = HoldCost.from_dict(_cost)

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

        hold = cls(
            account_id=account_id,
            amount=amount,
            captured=captured,
            created_at=created_at,
            description=description,
            expires_at=expires_at,
            id=id,
            metadata=metadata,
            object_=object_,
            refunded=refunded,
            released=released,
            resolved_at=resolved_at,
            status=status,
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

        hold.additional_properties = d
        return hold

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
