from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.usage_report_data_item import UsageReportDataItem
    from ..models.usage_report_total import UsageReportTotal


T = TypeVar("T", bound="UsageReport")


@_attrs_define
class UsageReport:
    """
    Attributes:
        account_id (str):
        data (list[UsageReportDataItem]):
        from_ (datetime.datetime):
        object_ (Literal['usage']):
        time_zone (str):
        to (datetime.datetime):
        total (UsageReportTotal):
    """

    account_id: str
    data: list[UsageReportDataItem]
    from_: datetime.datetime
    object_: Literal["usage"]
    time_zone: str
    to: datetime.datetime
    total: UsageReportTotal

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        from_ = self.from_.isoformat()

        object_ = self.object_

        time_zone = self.time_zone

        to = self.to.isoformat()

        total = self.total.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "data": data,
                "from": from_,
                "object": object_,
                "time_zone": time_zone,
                "to": to,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_report_data_item import UsageReportDataItem  # noqa: PLC0415
        from ..models.usage_report_total import UsageReportTotal  # noqa: PLC0415

        d = dict(src_dict)
        account_id = d.pop("account_id")

        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = UsageReportDataItem.from_dict(data_item_data)

            data.append(data_item)

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        object_ = cast(Literal["usage"], d.pop("object"))
        if object_ != "usage":
            raise ValueError(f"object must match const 'usage', got '{object_}'")

        time_zone = d.pop("time_zone")

        to = datetime.datetime.fromisoformat(d.pop("to"))

        total = UsageReportTotal.from_dict(d.pop("total"))

        usage_report = cls(
            account_id=account_id,
            data=data,
            from_=from_,
            object_=object_,
            time_zone=time_zone,
            to=to,
            total=total,
        )

        return usage_report
