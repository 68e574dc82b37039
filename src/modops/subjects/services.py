"""Creating and updating subjects from what intake sends."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

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


def wanted_by(ref: SubjectRef) -> list[tuple[str, str]]:
    """(kind, external id) of the subject and of the account, channel and stream it mentions."""
    wanted = [(ref.kind.value, ref.id)]
    if ref.account_id and ref.kind != SubjectKind.ACCOUNT:
        wanted.append((SubjectKind.ACCOUNT.value, ref.account_id))
    if ref.channel_id and ref.kind != SubjectKind.CHANNEL:
        wanted.append((SubjectKind.CHANNEL.value, ref.channel_id))
    if ref.stream_id and ref.kind != SubjectKind.STREAM:
        wanted.append((SubjectKind.STREAM.value, ref.stream_id))
    return wanted


def fetch(wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Subject]:
    """The subjects named by (kind, external id), in one query."""
    pairs = set(wanted)
    if not pairs:
        return {}
    # Two IN lists rather than an OR per pair: a batch names hundreds, past SQLite's expression depth.
    rows = Subject.objects.filter(kind__in={k for k, _ in pairs}, external_id__in={e for _, e in pairs})
    return {(s.kind, s.external_id): s for s in rows if (s.kind, s.external_id) in pairs}


#: Changed fields per subject, in the order the changes were made.
Dirty = dict[Subject, list[str]]


def apply_ref(ref: SubjectRef, lookup: Callable[[SubjectKind, str], Subject], dirty: Dirty) -> Upserted:
    """Bring the subject ``ref`` names (and what it mentions) up to date in memory.

    ``lookup`` finds or creates a subject by kind and id; the fields changed are added to ``dirty``
    for the caller to save, one by one or in bulk.
    """
    subject = lookup(ref.kind, ref.id)
    stream_live_changed = False

    def put(target: Subject, field: str, value: object) -> None:
        if value is not None and getattr(target, field) != value:
            setattr(target, field, value)
            fields = dirty.setdefault(target, [])
            if field not in fields:
                fields.append(field)

    if ref.account_id and ref.kind != SubjectKind.ACCOUNT:
        account = lookup(SubjectKind.ACCOUNT, ref.account_id)
        put(account, "platform_created_at", ref.account_created_at)
        put(subject, "account_id", account.pk)
        subject.account = account  # keeps the related object cached for account_of()
    if ref.kind == SubjectKind.ACCOUNT:
        put(subject, "platform_created_at", ref.account_created_at)
    if ref.channel_id and ref.kind != SubjectKind.CHANNEL:
        put(subject, "channel_id", lookup(SubjectKind.CHANNEL, ref.channel_id).pk)
    if ref.stream_id and ref.kind != SubjectKind.STREAM:
        stream = lookup(SubjectKind.STREAM, ref.stream_id)
        if ref.live is not None and stream.live != ref.live:
            stream_live_changed = stream.live is not None
            put(stream, "live", ref.live)
        put(subject, "stream_id", stream.pk)
        subject.stream = stream
    was_live = subject.live
    put(subject, "live", ref.live)
    put(subject, "viewers", ref.viewers)
    put(subject, "followers", ref.followers)
    put(subject, "started_at", ref.started_at)
    put(subject, "text", ref.text)
    put(subject, "language", ref.language)
    put(subject, "display_name", ref.display_name)
    if ref.kind == SubjectKind.STREAM and ref.live is False and was_live:
        put(subject, "ended_at", timezone.now())
    own_change = was_live is not None and subject.live != was_live
    return Upserted(subject, live_changed=own_change or stream_live_changed)


def upsert(ref: SubjectRef) -> Upserted:
    """Create the subject or bring its context up to date; return whether its live state changed."""
    require_transaction()
    known = fetch(wanted_by(ref))
    dirty: Dirty = {}
    upserted = apply_ref(ref, lambda kind, external_id: _get_or_create(kind, external_id, known), dirty)
    for subject, fields in dirty.items():
        subject.save(update_fields=[*fields, "updated_at"])
    return upserted


def find(kind: str, external_id: str) -> Subject | None:
    return Subject.objects.filter(kind=kind, external_id=external_id).select_related("account").first()


def account_of(subject: Subject) -> Subject | None:
    """The account behind a subject: itself for an account, else the linked owner."""
    if subject.kind == SubjectKind.ACCOUNT:
        return subject
    if subject.account_id:
        return subject.account
    return None
