from enum import StrEnum


class ListEntriesType(StrEnum):
    ADJUSTMENT = "adjustment"
    CAPTURE = "capture"
    CHARGE = "charge"
    EXPIRE = "expire"
    GRANT = "grant"
    HOLD = "hold"
    REFUND = "refund"
    RELEASE = "release"
    VOID = "void"

    def __str__(self) -> str:
        return str(self.value)
