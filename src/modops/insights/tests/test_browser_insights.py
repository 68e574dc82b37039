"""The insights pages in headless Chromium: real charts drawn, screenshots kept in docs/screenshots/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.signals import request_finished
from django.db import connections
from django.test import Client

from modops.accounts.models import Site
from modops.accounts.permissions import Role
from modops.insights.models import KpiTarget
from modops.insights.tests.dataset import build
from modops.testing.factories import StaffFactory

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/setup-system.sh)"),
]


def _close_thread_connections(**kwargs: object) -> None:
    # The live server answers on request threads that the main thread never joins; a connection
    # such a thread leaves open outlives the run and PostgreSQL then refuses to drop the test
    # database. Closing it as each request finishes leaves nothing behind.
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()


@pytest.fixture
def page(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    request_finished.connect(_close_thread_connections)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1400, "height": 1100})
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
            )
            tab.errors = errors  # type: ignore[attr-defined]
            yield tab, context, live_server.url
            context.close()
            browser.close()
            # The test body ran inside Playwright's event-loop context, which has its own database
            # connection: close it in that context, or it outlives the run and blocks dropping the
            # PostgreSQL test database.
            connections.close_all()
    finally:
        request_finished.disconnect(_close_thread_connections)


def _sign_in(context, base: str, username: str) -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])


def test_insights_dashboard_draws_its_charts_and_heatmap(page):
    tab, context, base = page
    build()
    StaffFactory(user__username="mgr", role=Role.OPERATIONS_MANAGER.value, site=Site.objects.get(name="kpi-dublin"))
    KpiTarget.objects.create(
        name="SLA attainment", kpi="sla_attainment", comparator="gte", target=0.95, window_hours=24
    )
    KpiTarget.objects.create(name="Backlog", kpi="backlog", comparator="lte", target=5)
    KpiTarget.objects.create(
        name="Time to action p90",
        kpi="time_to_action_p90",
        comparator="lte",
        target=3600,
        amber_margin=3600,
        window_hours=24,
    )
    _sign_in(context, base, "mgr")
    tab.goto(f"{base}/insights/?since=2025-02-25&until=2025-03-04")
    for chart in ("chart-backlog", "chart-sla", "chart-tta", "chart-capacity"):
        assert tab.evaluate(f"!!document.getElementById('{chart}').chart"), chart
    assert (
        tab.evaluate("document.getElementById('chart-tta').chart.data.datasets[0].data.reduce((a, b) => a + b, 0)") == 5
    )  # I8 on 2 March as well
    assert tab.locator("#gap-heatmap tbody tr").count() == 7
    assert tab.locator(".tile.red").count() >= 1
    assert tab.errors == []  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / "insights-dashboard.png"), full_page=True)


def test_team_view_in_the_browser_lists_the_leads_site(page):
    tab, context, base = page
    build()
    StaffFactory(user__username="lead", role=Role.TEAM_LEAD.value, site=Site.objects.get(name="kpi-dublin"))
    _sign_in(context, base, "lead")
    tab.goto(f"{base}/insights/team/?since=2025-03-03&until=2025-03-04")
    names = tab.locator("#team-table tbody td:first-child").all_inner_texts()
    assert names == ["alice", "bob", "lead"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / "insights-team.png"), full_page=True)
