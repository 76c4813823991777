from enum import StrEnum


class PutLimitsBodyLimitsItemScope(StrEnum):
    ACCOUNT = "account"
    KEY = "key"
    MEMBER = "member"
    PRODUCT = "product"

    def __str__(self) -> str:
        return str(self.value)
