"""Creating and updating subjects from what intake sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from modops.audit.services import require_transaction
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject


@dataclass(frozen=True)
class SubjectRef:
    """A subject as intake describes it, with whatever context the platform sent."""

    kind: SubjectKind
    id: str
    account_id: str | None = None
    channel_id: str | None = None
    stream_id: str | None = None
    live: bool | None = None
    viewers: int | None = None
    followers: int | None = None
    started_at: datetime | None = None
    text: str | None = None
    language: str | None = None
    display_name: str | None = None
    account_created_at: datetime | None = None


@dataclass(frozen=True)
class Upserted:
    subject: Subject
    live_changed: bool


def _get_or_create(kind: SubjectKind, external_id: str, known: dict[tuple[str, str], Subject]) -> Subject:
    found = known.get((kind.value, external_id))
    if found is not None:
        return found
    subject, _ = Subject.objects.get_or_create(kind=kind.value, external_id=external_id)
    known[(kind.value, external_id)] = subject
    return subject


def _prefetch(ref: SubjectRef) -> dict[tuple[str, str], Subject]:
    """The subject and the account, channel and stream it mentions, in one query."""
    wanted = [(ref.kind.value, ref.id)]
    if ref.account_id:
        wanted.append((SubjectKind.ACCOUNT.value, ref.account_id))
    if ref.channel_id:
        wanted.append((SubjectKind.CHANNEL.value, ref.channel_id))
    if ref.stream_id:
        wanted.append((SubjectKind.STREAM.value, ref.stream_id))
    condition = Q()
    for kind, external_id in wanted:
        condition |= Q(kind=kind, external_id=external_id)
    return {(s.kind, s.external_id): s for s in Subject.objects.filter(condition)}


def upsert(ref: SubjectRef) -> Upserted:
    """Create the subject or bring its context up to date; return whether its live state changed."""
    require_transaction()
    known = _prefetch(ref)
    subject = _get_or_create(ref.kind, ref.id, known)
    changed: list[str] = []
    stream_live_changed = False

    def put(field: str, value: object) -> None:
        if value is not None and getattr(subject, field) != value:
            setattr(subject, field, value)
            changed.append(field)

    if ref.account_id and ref.kind != SubjectKind.ACCOUNT:
        account = _get_or_create(SubjectKind.ACCOUNT, ref.account_id, known)
        if ref.account_created_at and account.platform_created_at != ref.account_created_at:
            account.platform_created_at = ref.account_created_at
            account.save(update_fields=["platform_created_at", "updated_at"])
        put("account_id", account.pk)
        subject.account = account  # keeps the related object cached for account_of()
    if ref.kind == SubjectKind.ACCOUNT:
        put("platform_created_at", ref.account_created_at)
    if ref.channel_id and ref.kind != SubjectKind.CHANNEL:
        put("channel_id", _get_or_create(SubjectKind.CHANNEL, ref.channel_id, known).pk)
    if ref.stream_id and ref.kind != SubjectKind.STREAM:
        stream = _get_or_create(SubjectKind.STREAM, ref.stream_id, known)
        if ref.live is not None and stream.live != ref.live:
            stream_live_changed = stream.live is not None
            stream.live = ref.live
            stream.save(update_fields=["live", "updated_at"])
        put("stream_id", stream.pk)
    was_live = subject.live
    put("live", ref.live)
    put("viewers", ref.viewers)
    put("followers", ref.followers)
    put("started_at", ref.started_at)
    put("text", ref.text)
    put("language", ref.language)
    put("display_name", ref.display_name)
    if ref.kind == SubjectKind.STREAM and ref.live is False and was_live:
        put("ended_at", timezone.now())
    if changed:
        subject.save(update_fields=[*changed, "updated_at"])
    own_change = "live" in changed and was_live is not None
    return Upserted(subject, live_changed=own_change or stream_live_changed)


def find(kind: str, external_id: str) -> Subject | None:
    return Subject.objects.filter(kind=kind, external_id=external_id).select_related("account").first()


def account_of(subject: Subject) -> Subject | None:
    """The account behind a subject: itself for an account, else the linked owner."""
    if subject.kind == SubjectKind.ACCOUNT:
        return subject
    if subject.account_id:
        return subject.account
    return None
