from enum import StrEnum


class UsageQuality(StrEnum):
    HD = "hd"
    HIGH = "high"
    LOW = "low"
    MEDIUM = "medium"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)
