from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.stripe_webhook_body_data import StripeWebhookBodyData


T = TypeVar("T", bound="StripeWebhookBody")


@_attrs_define
class StripeWebhookBody:
    """
    Attributes:
        data (StripeWebhookBodyData):
        id (str):
        type_ (str):
        api_version (None | str | Unset):
        created (int | Unset):
        livemode (bool | Unset):
        object_ (str | Unset):
        pending_webhooks (int | Unset):
        request (Any | Unset):
    """

    data: StripeWebhookBodyData
    id: str
    type_: str
    api_version: None | str | Unset = UNSET
    created: int | Unset = UNSET
    livemode: bool | Unset = UNSET
    object_: str | Unset = UNSET
    pending_webhooks: int | Unset = UNSET
    request: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        id = self.id

        type_ = self.type_

        api_version: None | str | Unset
        if isinstance(self.api_version, Unset):
            api_version = UNSET
        else:
            api_version = self.api_version

        created = self.created

        livemode = self.livemode

        object_ = self.object_

        pending_webhooks = self.pending_webhooks

        request = self.request

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "id": id,
                "type": type_,
            }
        )
        if api_version is not UNSET:
            field_dict["api_version"] = api_version
        if created is not UNSET:
            field_dict["created"] = created
        if livemode is not UNSET:
            field_dict["livemode"] = livemode
        if object_ is not UNSET:
            field_dict["object"] = object_
        if pending_webhooks is not UNSET:
            field_dict["pending_webhooks"] = pending_webhooks
        if request is not UNSET:
            field_dict["request"] = request

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stripe_webhook_body_data import StripeWebhookBodyData  # noqa: PLC0415

        d = dict(src_dict)
        data = StripeWebhookBodyData.from_dict(d.pop("data"))

        id = d.pop("id")

        type_ = d.pop("type")

        def _parse_api_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        api_version = _parse_api_version(d.pop("api_version", UNSET))

        created = d.pop("created", UNSET)

        livemode = d.pop("livemode", UNSET)

        object_ = d.pop("object", UNSET)

        pending_webhooks = d.pop("pending_webhooks", UNSET)

        request = d.pop("request", UNSET)

        stripe_webhook_body = cls(
            data=data,
            id=id,
            type_=type_,
            api_version=api_version,
            created=created,
            livemode=livemode,
            object_=object_,
            pending_webhooks=pending_webhooks,
            request=request,
        )

        stripe_webhook_body.additional_properties = d
        return stripe_webhook_body

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
