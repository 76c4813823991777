from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="BalanceForecast")


@_attrs_define
class BalanceForecast:
    """
    Attributes:
        burn_per_day (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        runs_out_at (datetime.datetime | None):
        window_days (int):
    """

    burn_per_day: float
    runs_out_at: datetime.datetime | None
    window_days: int

    def to_dict(self) -> dict[str, Any]:
        burn_per_day = self.burn_per_day

        runs_out_at: None | str
        if isinstance(self.runs_out_at, datetime.datetime):
            runs_out_at = self.runs_out_at.isoformat()
        else:
            runs_out_at = self.runs_out_at

        window_days = self.window_days

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "burn_per_day": burn_per_day,
                "runs_out_at": runs_out_at,
                "window_days": window_days,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        burn_per_day = d.pop("burn_per_day")

        def _parse_runs_out_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                runs_out_at_type_0 = datetime.datetime.fromisoformat(data)

                return runs_out_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        runs_out_at = _parse_runs_out_at(d.pop("runs_out_at"))

        window_days = d.pop("window_days")

        balance_forecast = cls(
            burn_per_day=burn_per_day,
            runs_out_at=runs_out_at,
            window_days=window_days,
        )

        return balance_forecast
