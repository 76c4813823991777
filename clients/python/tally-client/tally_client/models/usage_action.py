from enum import StrEnum


class UsageAction(StrEnum):
    CHAT = "chat"
    CUSTOM = "custom"
    EMBEDDING = "embedding"
    IMAGE = "image"
    SPEECH = "speech"
    VIDEO = "video"

    def __str__(self) -> str:
        return str(self.value)
