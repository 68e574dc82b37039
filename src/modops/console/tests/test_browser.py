"""The real console in headless Chromium (Debian's package, driven by Playwright; no browser download).

Set MODOPS_SCREENSHOTS=<dir> to save screenshots of the main pages (``make screenshots``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import connections

from modops.audit.models import Event
from modops.console.tests.helpers import PASSWORD, image_on, report, staff
from modops.review.models import Decision

CHROMIUM = os.environ.get("MODOPS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (scripts/setup-system.sh)"),
]


def _close_thread_connections(**kwargs: object) -> None:
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server answers on threads that keep-alive can leave idle past the run; closing each
    # thread's connection after every request lets the test database be dropped at the end.
    request_finished.connect(_close_thread_connections)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
        # Playwright's sync API runs the test in a greenlet with its own context, hence its own
        # database connection: close it here, in that context, or it outlives the run.
        connections.close_all()
    request_finished.disconnect(_close_thread_connections)


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("MODOPS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_claim_and_decide_with_the_keyboard(page: Any, live_server: Any) -> None:
    staff("moderator")
    first = report("m1", account_id="acc_1", text="you are all trash")
    second = report("m2", account_id="acc_2", text="buy followers at spam.example")
    page.goto(live_server.url + "/")
    _shot(page, "sign-in")
    _sign_in(page, live_server.url, "moderator")
    page.get_by_role("heading", name="My queues").wait_for()
    _shot(page, "queues")
    page.keyboard.press("c")  # Claim next
    page.get_by_role("heading", name="Review", exact=True).wait_for()
    assert re.search(r"\d+:\d\d", page.locator("#lease-left").inner_text())
    _shot(page, "review")
    claimed = page.url.rstrip("/").rsplit("/", 1)[1]
    page.keyboard.press("o")  # no violation
    page.keyboard.press("Enter")  # submit and claim next
    page.wait_for_url(re.compile(r"/console/review/(?!" + claimed + ")"))
    page.get_by_text("Decision recorded.").wait_for()
    decision = Decision.objects.get(review_item_id=claimed)
    assert decision.violation is False and decision.decided_by.username == "moderator"
    assert {str(first.id), str(second.id)} - {claimed}


def test_revealing_a_tier2_image_is_recorded(page: Any, live_server: Any) -> None:
    staff("senior")
    item = report("img_1", policy="sexual_content", kind="image", account_id="acc_9")
    image_on(item)
    _sign_in(page, live_server.url, "senior")
    page.get_by_role("button", name="Claim next").click()
    page.get_by_role("heading", name="Review", exact=True).wait_for()
    img = page.locator("figure.media img")
    assert "blur" in img.evaluate("e => e.style.filter")
    page.get_by_role("button", name="Reveal media").click()
    page.locator("figure.media.revealed").wait_for()
    assert img.evaluate("e => e.style.filter") == ""
    _shot(page, "review-media-revealed")
    event = Event.objects.get(verb="media.revealed")
    assert event.actor == "staff:senior" and event.review_item_id == item.id


def test_a_tier1_moderator_is_refused_a_tier3_item(page: Any, live_server: Any) -> None:
    staff("moderator")
    item = report("img_3", policy="youth_safety", kind="image")
    _sign_in(page, live_server.url, "moderator")
    page.get_by_role("heading", name="My queues").wait_for()
    response = page.goto(f"{live_server.url}/console/review/{item.id}/")
    assert response.status == 403
    page.get_by_role("heading", name="Not allowed").wait_for()


def test_lockout_after_repeated_failures(page: Any, live_server: Any) -> None:
    staff("moderator")
    for _ in range(5):
        _sign_in(page, live_server.url, "moderator", "wrong-password-entirely")
    page.get_by_role("heading", name="Account locked").wait_for()
    _sign_in(page, live_server.url, "moderator")  # the right password no longer helps
    page.get_by_role("heading", name="Account locked").wait_for()
    _shot(page, "locked-out")


def test_lead_sees_team_exposure(page: Any, live_server: Any) -> None:
    staff("lead")
    staff("moderator")
    _sign_in(page, live_server.url, "lead")
    page.get_by_role("link", name="Team exposure").click()
    page.get_by_role("heading", name="Team exposure").wait_for()
    _shot(page, "team-exposure")
