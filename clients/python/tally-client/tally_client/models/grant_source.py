from enum import StrEnum


class GrantSource(StrEnum):
    ADJUSTMENT = "adjustment"
    PACK = "pack"
    PLAN = "plan"
    PROMO = "promo"

    def __str__(self) -> str:
        return str(self.value)
