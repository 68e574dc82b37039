"""The review screen and what can be done from it: decide, skip, escalate, note, renew the lease."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from modops.console.forms import DecisionForm, EscalateForm, NoteForm, ReasonForm
from modops.console.services import add_note, heartbeat, review_context
from modops.console.views.common import page
from modops.review import services
from modops.review.services.errors import Conflict, Invalid


def _render(
    request: HttpRequest, item_id: uuid.UUID, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    ctx = review_context(request.user, item_id)  # type: ignore[arg-type]
    if form is None:
        form = DecisionForm(
            initial={
                "version": ctx.item.version,
                "policy": ctx.item.policy.code,
                "violation": "yes",
                "next": True,
            }
        )
    return render(
        request,
        "console/review.html",
        {"c": ctx, "form": form, "escalate_form": EscalateForm(), "note_form": NoteForm()},
        status=status,
    )


@require_GET
@page
def review(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    return _render(request, item_id)


def _after(request: HttpRequest, claim_next: bool) -> HttpResponse:
    if not claim_next:
        return redirect("console:queues")
    result = services.claim_next(request.user)  # type: ignore[arg-type]
    if result is None:
        messages.info(request, "Queue clear: nothing else you are eligible for is waiting.")
        return redirect("console:queues")
    return redirect("console:review", item_id=result.item.id)


@require_POST
@page
def decide(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render(request, item_id, form, status=400)
    data = form.cleaned_data
    try:
        services.decide(
            request.user,  # type: ignore[arg-type]
            item_id,
            services.DecisionInput(
                violation=data["violation"],
                version=data["version"],
                policy_code=data["policy"],
                action_type=(data["action"] or None) if data["violation"] else None,
                duration_seconds=data["duration"] if data["violation"] and data["action"] else None,
                note=data["note"],
            ),
        )
    except Invalid as exc:
        form.add_error(None, f"{exc.field}: {exc.message}")
        return _render(request, item_id, form, status=400)
    except Conflict as exc:
        messages.error(request, f"Not recorded: {exc}")
        return redirect("console:queues")
    messages.success(request, "Decision recorded.")
    return _after(request, data["next"])


@require_POST
@page
def skip(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.skip(request.user, item_id, reason)  # type: ignore[arg-type]
    except Conflict as exc:
        messages.error(request, f"Not skipped: {exc}")
        return redirect("console:queues")
    messages.info(request, "Skipped: it goes back to the queue for someone else.")
    return _after(request, True)


@require_POST
@page
def escalate(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a queue to escalate to.")
        return redirect("console:review", item_id=item_id)
    try:
        services.escalate(request.user, item_id, form.cleaned_data["queue"], form.cleaned_data["reason"])  # type: ignore[arg-type]
    except (Conflict, Invalid) as exc:
        messages.error(request, f"Not escalated: {exc}")
        return redirect("console:review", item_id=item_id)
    messages.success(request, f"Escalated to {form.cleaned_data['queue']}.")
    return _after(request, True)


@require_POST
@page
def note(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A note needs some text.")
    else:
        try:
            add_note(request.user, item_id, form.cleaned_data["note"])  # type: ignore[arg-type]
            messages.success(request, "Note added.")
        except (Conflict, Invalid) as exc:
            messages.error(request, f"Note not added: {exc}")
    return redirect("console:review", item_id=item_id)


@require_POST
@page
def renew(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    try:
        result = services.renew(request.user, item_id)  # type: ignore[arg-type]
    except Conflict as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    return JsonResponse({"lease_expires_at": result.lease_expires_at.isoformat(), "version": result.item.version})


@require_POST
@page
def beat(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    seconds = heartbeat(request.user, item_id)  # type: ignore[arg-type]
    return JsonResponse({"exposure_seconds": round(seconds)})
