"""Media, served only here: permission and clearance checked per request, reveals logged."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from modops.console.views.common import page
from modops.mediastore.services import get_media, reveal


@require_GET
@page
def media_file(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    media, tier = get_media(request.user, media_id)  # type: ignore[arg-type]
    response = HttpResponse(bytes(media.data), content_type=media.content_type)
    # Tier 3 must never sit in a cache, shared or local; the rest stays private to this browser.
    response["Cache-Control"] = "no-store" if tier >= 3 else "private, max-age=300"
    response["Content-Disposition"] = "inline"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_POST
@page
def reveal_media(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    raw_item = request.POST.get("item", "")
    try:
        item_id = uuid.UUID(raw_item) if raw_item else None
    except ValueError:
        return JsonResponse({"detail": "item: not a review item id"}, status=400)
    media = reveal(request.user, media_id, item_id)  # type: ignore[arg-type]
    return JsonResponse({"src": reverse("console:media", args=[media.id]), "content_type": media.content_type})
