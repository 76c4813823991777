from enum import StrEnum


class LimitReachedEventDataReason(StrEnum):
    DEBIT_REFUSED = "debit_refused"
    REACHED = "reached"

    def __str__(self) -> str:
        return str(self.value)
