from enum import StrEnum


class LimitWindow(StrEnum):
    DAY = "day"
    MONTH = "month"
    PERIOD = "period"
    TOTAL = "total"

    def __str__(self) -> str:
        return str(self.value)
