"""Request and response shapes shared by the API routers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Language = Annotated[str, StringConstraints(max_length=16, pattern=r"^([a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?)?$")]


class SubjectIn(Schema):
    kind: SubjectKind
    id: ExternalId
    account_id: ExternalId | None = None
    channel_id: ExternalId | None = None
    stream_id: ExternalId | None = None
    live: bool | None = None
    viewers: int | None = Field(default=None, ge=0, le=100_000_000)
    followers: int | None = Field(default=None, ge=0, le=2_147_483_647)  # the column is a 32-bit integer
    started_at: datetime | None = None
    text: str | None = Field(default=None, max_length=20_000)
    language: Language | None = None
    display_name: str | None = Field(default=None, max_length=200)
    account_created_at: datetime | None = None

    def to_ref(self) -> SubjectRef:
        return SubjectRef(
            kind=self.kind,
            id=self.id,
            account_id=self.account_id,
            channel_id=self.channel_id,
            stream_id=self.stream_id,
            live=self.live,
            viewers=self.viewers,
            followers=self.followers,
            started_at=self.started_at,
            text=self.text,
            language=self.language.lower() if self.language else None,
            display_name=self.display_name,
            account_created_at=self.account_created_at,
        )


class SubjectOut(Schema):
    kind: str
    id: str
    live: bool | None = None
    viewers: int | None = None


class ErrorOut(Schema):
    detail: object
