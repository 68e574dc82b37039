"""My queues, and claiming the next item."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from modops.console.services import queue_overview
from modops.console.views.common import page
from modops.review.services import claim_next


@require_GET
@page
def queues(request: HttpRequest) -> HttpResponse:
    return render(request, "console/queues.html", {"rows": queue_overview(request.user)})  # type: ignore[arg-type]


@require_GET
@page
def queues_table(request: HttpRequest) -> HttpResponse:
    """The table alone, polled by htmx so figures update without a reload."""
    return render(request, "console/_queues_table.html", {"rows": queue_overview(request.user)})  # type: ignore[arg-type]


@require_POST
@page
def claim(request: HttpRequest) -> HttpResponse:
    result = claim_next(request.user)  # type: ignore[arg-type]
    if result is None:
        messages.info(request, "Nothing you are eligible for is waiting. Check back shortly.")
        return redirect("console:queues")
    return redirect("console:review", item_id=result.item.id)
