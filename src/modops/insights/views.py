"""Insights HTTP views: the Prometheus endpoint and the console dashboards."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.console.views.common import page
from modops.insights.dashboard import default_slice, overview, team_view
from modops.insights.metrics import render as render_metrics
from modops.insights.slices import Slice
from modops.review.services.errors import Invalid
from modops.workforce.planning import plan


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape target. With ``MODOPS_METRICS_TOKEN`` set, a matching bearer token is required."""
    token = getattr(settings, "MODOPS_METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)


def _slice_or_error(request: HttpRequest) -> Slice | HttpResponse:
    try:
        return default_slice(request.GET)
    except Invalid as exc:
        return render(
            request, "console/error.html", {"title": "Bad filter", "detail": f"{exc.field}: {exc.message}"}, status=400
        )


@require_GET
@page
def index(request: HttpRequest) -> HttpResponse:
    """KPI tiles against targets, backlog, SLA trend, time to action and capacity charts (insights.view)."""
    s = _slice_or_error(request)
    if isinstance(s, HttpResponse):
        return s
    data = overview(request.user, s)
    charts = data["charts"]
    return render(
        request,
        "insights/index.html",
        {
            "slice": s,
            "tiles": data["tiles"],
            "kpis": data["kpis"],
            "charts": charts,
            "mape": charts["capacity"]["mape"],
        },
    )


@require_GET
@page
def team(request: HttpRequest) -> HttpResponse:
    s = _slice_or_error(request)
    if isinstance(s, HttpResponse):
        return s
    return render(request, "insights/team.html", {"slice": s, **team_view(request.user, s)})


@require_GET
@page
def staffing_csv(request: HttpRequest) -> HttpResponse:
    """The staffing gap per hour of week as CSV (insights.view)."""
    require(request.user, Perm.INSIGHTS_VIEW)
    s = _slice_or_error(request)
    if isinstance(s, HttpResponse):
        return s
    week = s.until - timedelta(days=s.until.weekday(), hours=s.until.hour, minutes=s.until.minute)
    response = HttpResponse(plan(week).gap_csv(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="staffing-gap-{week.date().isoformat()}.csv"'
    return response
