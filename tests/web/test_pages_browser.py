"""The pages in a real headless Chromium, against the app served over HTTP."""

from __future__ import annotations

import pytest

from contactcenter.app.demo_data import DEMO_PASSWORD, seed
from contactcenter.db import transaction
from tests.support.browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        seed(session)


def test_agent_logs_in_and_sees_the_call_log(seeded, live_server, page):
    log_in(page, live_server, "alice", DEMO_PASSWORD)
    page.wait_for_selector("table#calls tbody tr[data-call-sid]")
    assert page.locator("h1").first.inner_text().startswith("Calls")
    assert page.locator("table#calls tbody tr").count() > 5
    assert "Alice Agent" in page.locator("header").inner_text()


def test_wrong_password_shows_an_error(seeded, live_server, page):
    log_in(page, live_server, "alice", "not-the-password")
    assert "Wrong username or password" in page.locator(".flash").inner_text()


def test_customer_found_by_phone_in_local_format(seeded, live_server, page):
    log_in(page, live_server, "alice", DEMO_PASSWORD)
    page.wait_for_selector("table#calls")
    page.goto(live_server + "/customers")
    page.fill("input[name=q]", "(415) 555-0100")
    page.click("form.search button")
    page.wait_for_selector("table#customers")
    assert "Grace Hopper" in page.locator("table#customers").inner_text()


def test_call_detail_page_opens_from_the_log(seeded, live_server, page):
    log_in(page, live_server, "alice", DEMO_PASSWORD)
    page.click("table#calls tbody tr[data-call-sid] a >> nth=0")
    page.wait_for_selector("dl.facts")
    assert "Carrier events" in page.content()
