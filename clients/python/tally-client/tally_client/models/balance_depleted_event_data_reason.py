from enum import StrEnum


class BalanceDepletedEventDataReason(StrEnum):
    DEBIT_REFUSED = "debit_refused"
    REACHED_ZERO = "reached_zero"

    def __str__(self) -> str:
        return str(self.value)
