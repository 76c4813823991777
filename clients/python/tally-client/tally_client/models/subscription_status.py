from enum import StrEnum


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELED = "canceled"
    CANCELING = "canceling"

    def __str__(self) -> str:
        return str(self.value)
