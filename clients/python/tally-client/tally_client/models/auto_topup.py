from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..models.auto_topup_status import AutoTopupStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="AutoTopup")


@_attrs_define
class AutoTopup:
    """
    Attributes:
        account_id (str):
        complete (bool):
        consecutive_failures (int):
        cooldown_seconds (int):
        last_attempt_at (datetime.datetime | None):
        monthly_max (int):
        object_ (Literal['auto_topup']):
        pack (str):
        pending_purchase_id (None | str):
        status (AutoTopupStatus):
        threshold (float): Credits: an exact decimal with at most 3 fraction digits, written as a JSON number (`12`,
            `12.5`, `0.125`) and read from its text, never through a float; stored as integer millicredits. An amount a
            request sends is at most 1e12 in magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such
            as a balance over several grants, may be larger.
        updated_at (datetime.datetime):
        used_this_month (int):
        deleted (bool | Unset): Only on the answer to its removal.
    """

    account_id: str
    complete: bool
    consecutive_failures: int
    cooldown_seconds: int
    last_attempt_at: datetime.datetime | None
    monthly_max: int
    object_: Literal["auto_topup"]
    pack: str
    pending_purchase_id: None | str
    status: AutoTopupStatus
    threshold: float
    updated_at: datetime.datetime
    used_this_month: int
    deleted: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        complete = self.complete

        consecutive_failures = self.consecutive_failures

        cooldown_seconds = self.cooldown_seconds

        last_attempt_at: None | str
        if isinstance(self.last_attempt_at, datetime.datetime):
            last_attempt_at = self.last_attempt_at.isoformat()
        else:
            last_attempt_at = self.last_attempt_at

        monthly_max = self.monthly_max

        object_ = self.object_

        pack = self.pack

        pending_purchase_id: None | str
        pending_purchase_id = self.pending_purchase_id

        status = self.status.value

        threshold = self.threshold

        updated_at = self.updated_at.isoformat()

        used_this_month = self.used_this_month

        deleted = self.deleted

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "account_id": account_id,
                "complete": complete,
                "consecutive_failures": consecutive_failures,
                "cooldown_seconds": cooldown_seconds,
                "last_attempt_at": last_attempt_at,
                "monthly_max": monthly_max,
                "object": object_,
                "pack": pack,
                "pending_purchase_id": pending_purchase_id,
                "status": status,
                "threshold": threshold,
                "updated_at": updated_at,
                "used_this_month": used_this_month,
            }
        )
        if deleted is not UNSET:
            field_dict["deleted"] = deleted

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        complete = d.pop("complete")

        consecutive_failures = d.pop("consecutive_failures")

        cooldown_seconds = d.pop("cooldown_seconds")

        def _parse_last_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at"))

        monthly_max = d.pop("monthly_max")

        object_ = cast(Literal["auto_topup"], d.pop("object"))
        if object_ != "auto_topup":
            raise ValueError(f"object must match const 'auto_topup', got '{object_}'")

        pack = d.pop("pack")

        def _parse_pending_purchase_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        pending_purchase_id = _parse_pending_purchase_id(d.pop("pending_purchase_id"))

        status = AutoTopupStatus(d.pop("status"))

        threshold = d.pop("threshold")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        used_this_month = d.pop("used_this_month")

        deleted = d.pop("deleted", UNSET)

        auto_topup = cls(
            account_id=account_id,
            complete=complete,
            consecutive_failures=consecutive_failures,
            cooldown_seconds=cooldown_seconds,
            last_attempt_at=last_attempt_at,
            monthly_max=monthly_max,
            object_=object_,
            pack=pack,
            pending_purchase_id=pending_purchase_id,
            status=status,
            threshold=threshold,
            updated_at=updated_at,
            used_this_month=used_this_month,
            deleted=deleted,
        )

        return auto_topup
