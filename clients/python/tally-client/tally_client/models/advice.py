from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.advice_best_type_0 import AdviceBestType0
    from ..models.advice_current_type_0 import AdviceCurrentType0
    from ..models.advice_months_item import AdviceMonthsItem
    from ..models.advice_usage import AdviceUsage


T = TypeVar("T", bound="Advice")


@_attrs_define
class Advice:
    """
    Attributes:
        account_id (str):
        best (AdviceBestType0 | None):
        current (AdviceCurrentType0 | None):
        exact (bool):
        from_ (datetime.datetime | None):
        months (list[AdviceMonthsItem]):
        object_ (Literal['advice']):
        savings_usd (float | None):
        time_zone (str):
        to (datetime.datetime | None):
        usage (AdviceUsage):
    """

    account_id: str
    best: AdviceBestType0 | None
    current: AdviceCurrentType0 | None
    exact: bool
    from_: datetime.datetime | None
    months: list[AdviceMonthsItem]
    object_: Literal["advice"]
    savings_usd: float | None
    time_zone: str
    to: datetime.datetime | None
    usage: AdviceUsage

    def to_dict(self) -> dict[str, Any]:
        from ..models.advice_best_type_0 import AdviceBestType0  # noqa: PLC0415
        from ..models.advice_current_type_0 import AdviceCurrentType0  # noqa: PLC0415

        account_id = self.account_id

        best: dict[str, Any] | None
        if isinstance(self.best, AdviceBestType0):
            best = self.best.to_dict()
        else:
            best = self.best

        current: dict[str, Any] | None
        if isinstance(self.current, AdviceCurrentType0):
            current = self.current.to_dict()
        else:
            current = self.current

        exact = self.exact

        from_: None | str
        if isinstance(self.from_, datetime.datetime):
            from_ = self.from_.isoformat()
        else:
            from_ = self.from_

        months = []
        for months_item_data in self.months:
            months_item = months_item_data.to_dict()
            months.append(months_item)

        object_ = self.object_

        savings_usd: float | None
        savings_usd = self.savings_usd

        time_zone = self.time_zone

        to: None | str
        if isinstance(self.to, datetime.datetime):
            to = self.to.isoformat()
        else:
            to = self.to

        usage = self.usage.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "best": best,
                "current": current,
                "exact": exact,
                "from": from_,
                "months": months,
                "object": object_,
                "savings_usd": savings_usd,
                "time_zone": time_zone,
                "to": to,
                "usage": usage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.advice_best_type_0 import AdviceBestType0  # noqa: PLC0415
        from ..models.advice_current_type_0 import AdviceCurrentType0  # noqa: PLC0415
        from ..models.advice_months_item import AdviceMonthsItem  # noqa: PLC0415
        from ..models.advice_usage import AdviceUsage  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        def _parse_best(data: object) -> AdviceBestType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                best_type_0 = AdviceBestType0.from_dict(data)

                return best_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AdviceBestType0 | None, data)

        best = _parse_best(d.pop("best"))

        def _parse_current(data: object) -> AdviceCurrentType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                current_type_0 = AdviceCurrentType0.from_dict(data)

                return current_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AdviceCurrentType0 | None, data)

        current = _parse_current(d.pop("current"))

        exact = d.pop("exact")

        def _parse_from_(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_type_0 = datetime.datetime.fromisoformat(data)

                return from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        from_ = _parse_from_(d.pop("from"))

        months = []
        _months = d.pop("months")
        for months_item_data in _months:
            months_item = AdviceMonthsItem.from_dict(months_item_data)

            months.append(months_item)

        object_ = cast(Literal["advice"], d.pop("object"))
        if object_ != "advice":
            raise ValueError(f"object must match const 'advice', got '{object_}'")

        def _parse_savings_usd(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        savings_usd = _parse_savings_usd(d.pop("savings_usd"))

        time_zone = d.pop("time_zone")

        def _parse_to(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                to_type_0 = datetime.datetime.fromisoformat(data)

                return to_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        to = _parse_to(d.pop("to"))

        usage = AdviceUsage.from_dict(d.pop("usage"))

        advice = cls(
            account_id=account_id,
            best=best,
            current=current,
            exact=exact,
            from_=from_,
            months=months,
            object_=object_,
            savings_usd=savings_usd,
            time_zone=time_zone,
            to=to,
            usage=usage,
        )

        return advice
