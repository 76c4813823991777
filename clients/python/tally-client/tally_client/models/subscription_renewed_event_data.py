from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.grant import Grant
    from ..models.subscription import Subscription


T = TypeVar("T", bound="SubscriptionRenewedEventData")


@_attrs_define
class SubscriptionRenewedEventData:
    """
    Attributes:
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        grant (Grant | None):
        subscription (Subscription):
    """

    available: float
    grant: Grant | None
    subscription: Subscription

    def to_dict(self) -> dict[str, Any]:
        from ..models.grant import Grant  # noqa: PLC0415

        available = self.available

        grant: dict[str, Any] | None
        if isinstance(self.grant, Grant):
            grant = self.grant.to_dict()
        else:
            grant = self.grant

        subscription = self.subscription.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "grant": grant,
                "subscription": subscription,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grant import Grant  # noqa: PLC0415
        from ..models.subscription import Subscription  # noqa: PLC0415

        d = dict(src_dict)
        available = d.pop("available")

        def _parse_grant(data: object) -> Grant | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                grant_type_0 = Grant.from_dict(data)

                return grant_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Grant | None, data)

        grant = _parse_grant(d.pop("grant"))

        subscription = Subscription.from_dict(d.pop("subscription"))

        subscription_renewed_event_data = cls(
            available=available,
            grant=grant,
            subscription=subscription,
        )

        return subscription_renewed_event_data
