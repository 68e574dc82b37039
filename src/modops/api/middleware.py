"""Refuse oversized API bodies with 413, and text no database can store, before anything reads them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

LIMITED_PREFIXES = ("/api/", "/integrations/")
#: Views that read their body line by line (never whole) and check each line themselves.
STREAMING_PATHS = frozenset({"/api/v1/screen/stream"})
MEDIA_UPLOAD_PATH = "/api/v1/media"


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(LIMITED_PREFIXES):
            streaming = request.path in STREAMING_PATHS
            limit = settings.MODOPS_SCREEN_STREAM_MAX_BYTES if streaming else settings.MODOPS_API_MAX_BODY_BYTES
            uploading = request.path == MEDIA_UPLOAD_PATH
            if uploading:
                # Media uploads are bounded by the media limits (plus room for the multipart framing);
                # the media service then names the exact limit an oversized file broke.
                media = max(settings.MODOPS_MEDIA_MAX_IMAGE_BYTES, settings.MODOPS_MEDIA_MAX_VIDEO_BYTES)
                limit = max(limit, media + 64 * 1024)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _error(400, "invalid Content-Length")
            if length > limit:
                return _error(413, f"request body over {limit} bytes")
            if streaming or uploading:
                return self.get_response(request)
            refused = _unstorable_text(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def _error(status: int, detail: object) -> HttpResponse:
    return HttpResponse(json.dumps({"detail": detail}), status=status, content_type="application/json")


def _bad(text: str) -> bool:
    # PostgreSQL refuses NUL in text and JSON; a lone surrogate cannot be encoded as UTF-8.
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find_bad(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, str):
        return path if _bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = [*path, key] if _bad(key) else _find_bad(item, [*path, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_bad(item, [*path, i])
            if found is not None:
                return found
    return None


def _unstorable_text(request: HttpRequest) -> HttpResponse | None:
    """A 422 naming the first field whose text holds NUL or a lone surrogate; None when all is well."""
    message = "text may not contain NUL characters or unpaired surrogates"
    for key, values in request.GET.lists():
        if _bad(key) or any(_bad(v) for v in values):
            return _error(422, [{"loc": ["query", key], "msg": message, "type": "string_unstorable"}])
    if "\x00" in request.path:
        return _error(400, "NUL character in the URL")
    body = request.body
    # Both can only arrive as \u escapes (raw bytes would not be valid JSON), so look only then.
    if b"\\u" not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # the API answers malformed JSON with 400 itself
    path = _find_bad(data, [])
    if path is None:
        return None
    return _error(422, [{"loc": ["body", *path], "msg": message, "type": "string_unstorable"}])
