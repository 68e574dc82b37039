"""Media matching and bank administration API."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field, ValidationError

from modops.accounts.permissions import Scope
from modops.api.auth import TokenAuth, actor_of, intake_auth
from modops.api.schemas import ErrorOut, SubjectIn
from modops.hashbanks import services
from modops.hashbanks.models import Bank
from modops.hashbanks.services import MediaRejected

router = Router(tags=["media"])
UploadField: Any = File(...)  # type: ignore[type-arg]
SubjectField: Any = Form(...)  # type: ignore[type-arg]
admin_auth = TokenAuth(Scope.ADMIN)


class MatchOut(Schema):
    bank: str
    bank_kind: str
    signal_type: str
    distance: int
    entry_id: int


class MediaOut(Schema):
    kind: str
    hashes: dict[str, Any]
    matches: list[MatchOut]
    suppressed: list[MatchOut]
    detections: list[dict[str, Any]]
    nudity: dict[str, Any] | None


def _error(status: int, loc: list[str], message: str) -> Any:
    return Status(status, {"detail": [{"loc": ["body", *loc], "msg": message, "type": "value_error"}]})


@router.post(
    "/media",
    auth=intake_auth,
    response={200: MediaOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut},
)
def upload_media(request: HttpRequest, file: UploadedFile = UploadField, subject: str = SubjectField):  # type: ignore[no-untyped-def]
    """Hash an image or video (multipart ``file``) and match it against every enabled bank.

    ``subject`` is a JSON object like the one reports take (kind, id, account_id, channel_id, ...).
    Every match becomes a ``hash_match`` detection; the answer lists the matches (bank, signal type,
    distance). Bad media is refused with a 4xx naming the reason, and leaves nothing behind.
    """
    try:
        parsed = SubjectIn.model_validate(json.loads(subject))
    except json.JSONDecodeError:
        return _error(422, ["subject"], "subject must be a JSON object")
    except ValidationError as exc:
        first = exc.errors()[0]
        return _error(422, ["subject", *[str(p) for p in first["loc"]]], first["msg"])
    data = file.read()
    try:
        result = services.submit_media(parsed.to_ref(), data, file.name or "", actor_of(request))
    except MediaRejected as exc:
        return _error(exc.status, ["file"], exc.reason)
    return result


class BankOut(Schema):
    name: str
    kind: str
    policy: str | None
    queue: str | None
    enabled: bool
    enabled_ratio: float
    pdq_threshold: int
    quality_floor: int
    hashes: int
    disabled_hashes: int
    tombstones: int


class HashIn(Schema):
    signal_type: str = Field(min_length=1, max_length=20)
    signal: str = Field(min_length=1, max_length=200_000)
    metadata: dict[str, str] = Field(default_factory=dict)


class HashOut(Schema):
    id: int
    bank: str
    signal_type: str
    enabled: bool


class HashRemoved(Schema):
    removed: bool
    tombstone: bool


class BankSettingsIn(Schema):
    enabled: bool | None = None
    enabled_ratio: float | None = Field(default=None, ge=0, le=1)
    pdq_threshold: int | None = Field(default=None, ge=0, le=31)
    quality_floor: int | None = Field(default=None, ge=-1, le=100)


@router.get("/banks", auth=admin_auth, response={200: list[BankOut]})
def list_banks(request: HttpRequest):  # type: ignore[no-untyped-def]
    return [services.bank_stats(bank) for bank in Bank.objects.select_related("policy", "queue")]


@router.patch("/banks/{name}", auth=admin_auth, response={200: BankOut, 404: ErrorOut, 422: ErrorOut})
def configure_bank(request: HttpRequest, name: str, payload: BankSettingsIn):  # type: ignore[no-untyped-def]
    """Enable or disable a bank, or change its enabled ratio, PDQ threshold or quality floor."""
    bank = services.configure_bank(name, actor_of(request), **payload.dict())
    return services.bank_stats(bank)


def _hash_out(entry: Any) -> dict[str, Any]:
    return {"id": entry.pk, "bank": entry.bank.name, "signal_type": entry.signal_type, "enabled": entry.enabled}


@router.post("/banks/{name}/hashes", auth=admin_auth, response={201: HashOut, 404: ErrorOut, 422: ErrorOut})
def add_hash(request: HttpRequest, name: str, payload: HashIn):  # type: ignore[no-untyped-def]
    entry = services.add_hash(name, payload.signal_type, payload.signal, actor_of(request), payload.metadata)
    return Status(201, _hash_out(entry))


@router.post("/banks/{name}/hashes/{entry_id}/disable", auth=admin_auth, response={200: HashOut, 404: ErrorOut})
def disable_hash(request: HttpRequest, name: str, entry_id: int):  # type: ignore[no-untyped-def]
    return _hash_out(services.set_hash_enabled(name, entry_id, False, actor_of(request)))


@router.post("/banks/{name}/hashes/{entry_id}/enable", auth=admin_auth, response={200: HashOut, 404: ErrorOut})
def enable_hash(request: HttpRequest, name: str, entry_id: int):  # type: ignore[no-untyped-def]
    return _hash_out(services.set_hash_enabled(name, entry_id, True, actor_of(request)))


@router.delete("/banks/{name}/hashes/{entry_id}", auth=admin_auth, response={200: HashRemoved, 404: ErrorOut})
def remove_hash(request: HttpRequest, name: str, entry_id: int):  # type: ignore[no-untyped-def]
    """Remove a hash; one imported from an outside list leaves a tombstone so re-imports skip it."""
    tombstone = services.remove_hash(name, entry_id, actor_of(request))
    return {"removed": True, "tombstone": tombstone}
