from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UsageReportDataItem")


@_attrs_define
class UsageReportDataItem:
    """
    Attributes:
        count (int):
        credits_ (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        action (None | str | Unset):
        day (datetime.date | None | Unset):
        member (None | str | Unset):
        model (None | str | Unset):
        product (None | str | Unset):
    """

    count: int
    credits_: float
    action: None | str | Unset = UNSET
    day: datetime.date | None | Unset = UNSET
    member: None | str | Unset = UNSET
    model: None | str | Unset = UNSET
    product: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        credits_ = self.credits_

        action: None | str | Unset
        if isinstance(self.action, Unset):
            action = UNSET
        else:
            action = self.action

        day: None | str | Unset
        if isinstance(self.day, Unset):
            day = UNSET
        elif isinstance(self.day, datetime.date):
            day = self.day.isoformat()
        else:
            day = self.day

        member: None | str | Unset
        if isinstance(self.member, Unset):
            member = UNSET
        else:
            member = self.member

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        product: None | str | Unset
        if isinstance(self.product, Unset):
            product = UNSET
        else:
            product = self.product

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "count": count,
                "credits": credits_,
            }
        )
        if action is not UNSET:
            field_dict["action"] = action
        if day is not UNSET:
            field_dict["day"] = day
        if member is not UNSET:
            field_dict["member"] = member
        if model is not UNSET:
            field_dict["model"] = model
        if product is not UNSET:
            field_dict["product"] = product

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        count = d.pop("count")

        credits_ = d.pop("credits")

        def _parse_action(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        action = _parse_action(d.pop("action", UNSET))

        def _parse_day(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                day_type_0 = datetime.date.fromisoformat(data)

                return day_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        day = _parse_day(d.pop("day", UNSET))

        def _parse_member(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        member = _parse_member(d.pop("member", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_product(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        product = _parse_product(d.pop("product", UNSET))

        usage_report_data_item = cls(
            count=count,
            credits_=credits_,
            action=action,
            day=day,
            member=member,
            model=model,
            product=product,
        )

        return usage_report_data_item
