"""Platform webhooks. Thin: read the raw body, hand it to the platform's handler, render."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from modops.integrations import twitch


@csrf_exempt
@require_POST
def twitch_eventsub(request: HttpRequest) -> HttpResponse:
    secret = getattr(settings, "MODOPS_TWITCH_EVENTSUB_SECRET", "")
    if not secret:
        return JsonResponse({"detail": "EventSub is not configured"}, status=503)
    try:
        reply = twitch.handle(dict(request.headers), request.body, secret)
    except twitch.Rejected as exc:
        return JsonResponse({"detail": exc.detail}, status=exc.status)
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
