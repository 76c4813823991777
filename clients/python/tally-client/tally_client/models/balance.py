from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.balance_forecast import BalanceForecast
    from ..models.balance_grant import BalanceGrant
    from ..models.balance_next_expiry_type_0 import BalanceNextExpiryType0
    from ..models.balance_next_reset_type_0 import BalanceNextResetType0
    from ..models.plan_view import PlanView


T = TypeVar("T", bound="Balance")


@_attrs_define
class Balance:
    """
    Attributes:
        account_id (str):
        available (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        grants (list[BalanceGrant]):
        held (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`, `12.5`,
            `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a request
            sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such as a
            balance over several grants, may be larger.
        next_expiry (BalanceNextExpiryType0 | None):
        next_reset (BalanceNextResetType0 | None):
        overdraft_limit (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        overdraft_used (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number
            (`12`, `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount
            a request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total,
            such as a balance over several grants, may be larger.
        plan (None | PlanView):
        posted (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        forecast (BalanceForecast | Unset):
    """

    account_id: str
    available: float
    grants: list[BalanceGrant]
    held: float
    next_expiry: BalanceNextExpiryType0 | None
    next_reset: BalanceNextResetType0 | None
    overdraft_limit: float
    overdraft_used: float
    plan: None | PlanView
    posted: float
    forecast: BalanceForecast | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.balance_next_expiry_type_0 import BalanceNextExpiryType0  # noqa: PLC0415
        from ..models.balance_next_reset_type_0 import BalanceNextResetType0  # noqa: PLC0415
        from ..models.plan_view import PlanView  # noqa: PLC0415

        account_id = self.account_id

        available = self.available

        grants = []
        for grants_item_data in self.grants:
            grants_item = grants_item_data.to_dict()
            grants.append(grants_item)

        held = self.held

        next_expiry: dict[str, Any] | None
        if isinstance(self.next_expiry, BalanceNextExpiryType0):
            next_expiry = self.next_expiry.to_dict()
        else:
            next_expiry = self.next_expiry

        next_reset: dict[str, Any] | None
        if isinstance(self.next_reset, BalanceNextResetType0):
            next_reset = self.next_reset.to_dict()
        else:
            next_reset = self.next_reset

        overdraft_limit = self.overdraft_limit

        overdraft_used = self.overdraft_used

        plan: dict[str, Any] | None
        if isinstance(self.plan, PlanView):
            plan = self.plan.to_dict()
        else:
            plan = self.plan

        posted = self.posted

        forecast: dict[str, Any] | Unset = UNSET
        if not isinstance(self.forecast, Unset):
            forecast = self.forecast.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "available": available,
                "grants": grants,
                "held": held,
                "next_expiry": next_expiry,
                "next_reset": next_reset,
                "overdraft_limit": overdraft_limit,
                "overdraft_used": overdraft_used,
                "plan": plan,
                "posted": posted,
            }
        )
        if forecast is not UNSET:
            field_dict["forecast"] = forecast

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance_forecast import BalanceForecast  # noqa: PLC0415
        from ..models.balance_grant import BalanceGrant  # noqa: PLC0415
        from ..models.balance_next_expiry_type_0 import BalanceNextExpiryType0  # noqa: PLC0415
        from ..models.balance_next_reset_type_0 import BalanceNextResetType0  # noqa: PLC0415
        from ..models.plan_view import PlanView  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        available = d.pop("available")

        grants = []
        _grants = d.pop("grants")
        for grants_item_data in _grants:
            grants_item = BalanceGrant.from_dict(grants_item_data)

            grants.append(grants_item)

        held = d.pop("held")

        def _parse_next_expiry(data: object) -> BalanceNextExpiryType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_expiry_type_0 = BalanceNextExpiryType0.from_dict(data)

                return next_expiry_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BalanceNextExpiryType0 | None, data)

        next_expiry = _parse_next_expiry(d.pop("next_expiry"))

        def _parse_next_reset(data: object) -> BalanceNextResetType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_reset_type_0 = BalanceNextResetType0.from_dict(data)

                return next_reset_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BalanceNextResetType0 | None, data)

        next_reset = _parse_next_reset(d.pop("next_reset"))

        overdraft_limit = d.pop("overdraft_limit")

        overdraft_used = d.pop("overdraft_used")

        def _parse_plan(data: object) -> None | PlanView:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                plan_type_0 = PlanView.from_dict(data)

                return plan_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PlanView, data)

        plan = _parse_plan(d.pop("plan"))

        posted = d.pop("posted")

        _forecast = d.pop("forecast", UNSET)
        forecast: BalanceForecast | Unset
        if isinstance(_forecast, Unset):
            forecast = UNSET
        else:
            forecast = BalanceForecast.from_dict(_forecast)

        balance = cls(
            account_id=account_id,
            available=available,
            grants=grants,
            held=held,
            next_expiry=next_expiry,
            next_reset=next_reset,
            overdraft_limit=overdraft_limit,
            overdraft_used=overdraft_used,
            plan=plan,
            posted=posted,
            forecast=forecast,
        )

        return balance
