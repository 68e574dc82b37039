from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    ACCOUNT = "account"
    CHANNEL = "channel"
    STREAM = "stream"
    CHAT_MESSAGE = "chat_message"
    CLIP = "clip"
    VOD = "vod"
    IMAGE = "image"


SUBJECT_KINDS = [k.value for k in SubjectKind]
