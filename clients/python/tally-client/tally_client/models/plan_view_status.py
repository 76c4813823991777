from enum import StrEnum


class PlanViewStatus(StrEnum):
    ACTIVE = "active"
    CANCELED = "canceled"
    CANCELING = "canceling"

    def __str__(self) -> str:
        return str(self.value)
