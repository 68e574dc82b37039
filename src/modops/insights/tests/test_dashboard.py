from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from modops.accounts.permissions import Role
from modops.insights.models import KpiTarget
from modops.insights.tests.dataset import build
from modops.testing.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_insights_page_needs_insights_view():
    build()
    StaffFactory(user__username="mod", role=Role.MODERATOR.value)
    StaffFactory(user__username="mgr", role=Role.OPERATIONS_MANAGER.value)
    assert _client("mod").get("/insights/").status_code == 403
    assert Client().get("/insights/").status_code == 302  # to sign-in


def test_insights_page_renders_tiles_and_chart_data_for_a_manager():
    build()
    StaffFactory(user__username="mgr", role=Role.OPERATIONS_MANAGER.value)
    KpiTarget.objects.create(name="Overall SLA", kpi="sla_attainment", comparator="gte", target=0.95, window_hours=24)
    response = _client("mgr").get("/insights/", {"since": "2025-03-03", "until": "2025-03-04"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="tile red"' in html and "Overall SLA" in html
    charts = json.loads(re.search(r'id="insights-charts"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert set(charts) == {"backlog", "sla", "tta", "capacity"}
    assert sum(charts["tta"]["values"]) == 4
    assert len(charts["capacity"]["gap_grid"]) == 7
    assert "<script>" not in html  # every script is a file: the CSP forbids inline code


def test_bad_filters_get_a_400_naming_the_field():
    StaffFactory(user__username="mgr", role=Role.OPERATIONS_MANAGER.value)
    response = _client("mgr").get("/insights/", {"since": "soon"})
    assert response.status_code == 400
    assert "since" in response.content.decode()


def test_team_view_shows_leads_their_site_and_moderators_only_themselves():
    build()  # alice and bob at kpi-dublin, carol at kpi-manila
    from modops.accounts.models import Site

    StaffFactory(user__username="lead", role=Role.TEAM_LEAD.value, site=Site.objects.get(name="kpi-dublin"))
    params = {"since": "2025-03-03", "until": "2025-03-04"}
    lead_page = _client("lead").get("/insights/team/", params).content.decode()
    assert "alice" in lead_page and "bob" in lead_page and "carol" not in lead_page
    alice_page = _client("alice").get("/insights/team/", params).content.decode()
    assert "alice" in alice_page and "bob" not in alice_page


def test_staffing_gap_csv_downloads_for_insights_viewers():
    StaffFactory(user__username="mgr", role=Role.OPERATIONS_MANAGER.value)
    response = _client("mgr").get("/insights/staffing-gap.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response.content.decode().splitlines()[0] == "hour_of_week,required_heads,rostered,gap,rostered_by_region"
