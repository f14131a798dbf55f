"""The segment report and the segment campaign page in headless Chromium: a supervisor opens the
report from the reports tabs, reads the matrix, and both pages pass axe."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from contactcenter import clock
from contactcenter.accounts.models import Role
from contactcenter.analytics import services
from contactcenter.db import transaction
from tests.support.accessibility import assert_accessible
from tests.support.analytics import gen_shop
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_agent

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/segments")


@pytest.fixture
def shop(committed_runtime):  # type: ignore[no-untyped-def]
    """Two recomputes a month apart, so customers have moved between segments."""
    now = clock.now()
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "sam", role=Role.SUPERVISOR)
        gen_shop(session, customers=60, end=now - timedelta(days=30))
        with freeze_time(now - timedelta(days=30)):
            services.recompute(session)
        gen_shop(session, customers=20, seed=5, end=now)
        services.recompute(session)


def test_the_segment_report_opens_from_the_tabs_and_is_accessible(shop, live_server, page):
    log_in(page, live_server, "sam")
    page.wait_for_selector("header nav")
    page.goto(f"{live_server}/reports/daily")
    page.click("#report-kinds a[data-kind=segments]")
    page.wait_for_selector("table#segment-migration")
    assert page.locator("svg#chart-segment-sizes").count() == 1
    assert page.locator("table#segment-migration tbody th[scope=row]").count() >= 2
    assert page.locator("table#segment-revenue tbody tr").count() >= 1
    screenshots(page, SHOTS, "segment-report")
    assert_accessible(page)


def test_a_bad_range_is_shown_next_to_its_field_and_is_accessible(shop, live_server, page):
    log_in(page, live_server, "sam")
    page.wait_for_selector("header nav")
    page.goto(f"{live_server}/reports/segments?from=2026-02-30&to=2026-03-01")
    page.wait_for_selector("#from-error")
    assert_accessible(page)


def test_the_segment_campaign_page_is_accessible(shop, live_server, page):
    log_in(page, live_server, "sam")
    page.wait_for_selector("header nav")
    page.goto(f"{live_server}/admin/dialer/from-segment")
    page.wait_for_selector("#segment-choice select[name=segment]")
    assert page.locator("#segment-choice select[name=segment] option").count() >= 2
    screenshots(page, SHOTS, "segment-campaign")
    assert_accessible(page)
