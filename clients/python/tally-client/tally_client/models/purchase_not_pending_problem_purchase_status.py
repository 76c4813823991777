from enum import StrEnum


class PurchaseNotPendingProblemPurchaseStatus(StrEnum):
    CANCELED = "canceled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    FAILED = "failed"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
