"""The preview panel in headless Chromium: an agent of a running preview campaign sees the held
lead (markup in a name shows as text), dials it, and sees a refusal's reason."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.db import transaction
from contactcenter.dialer import dnc
from contactcenter.dialer.models import DialAttempt
from tests.support.browser import open_desktop
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser
HOSTILE = "<img src=x onerror=alert(1)> Ada"
ADA = "+12125550193"


def _midday_zone() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    zones = [
        "Pacific/Honolulu",
        "America/Anchorage",
        "America/Los_Angeles",
        "America/Denver",
        "America/Chicago",
        "America/New_York",
        "America/Halifax",
        "Atlantic/Azores",
        "Europe/London",
        "Europe/Berlin",
        "Europe/Moscow",
        "Asia/Dubai",
        "Asia/Kolkata",
        "Asia/Bangkok",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Australia/Sydney",
        "Pacific/Auckland",
    ]
    return min(zones, key=lambda z: abs(now.astimezone(ZoneInfo(z)).hour + now.minute / 60 - 14))


@pytest.fixture
def floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        sales = gen_queue(session, "sales")
        alice = gen_agent(session, "alice")
        session.add(QueueMembership(queue_id=sales.id, user_id=alice.id))
        session.flush()
        campaign = gen_campaign(session, "Browser preview", dial_mode="preview", queue_id=sales.id)
        # The page runs on the wall clock: the lead lives where it is mid-day now.
        gen_lead(
            session, campaign, ADA, name=HOSTILE, attributes={"notes": "prefers mornings"}, time_zones=[_midday_zone()]
        )
    return rt


def _open_desktop(page, live_server):  # type: ignore[no-untyped-def]
    open_desktop(page, live_server)
    page.wait_for_selector("#preview:not([hidden])")
    page.wait_for_function("document.getElementById('preview-lead').textContent.includes('Ada')")


def test_agent_reads_the_lead_and_dials_it(floor, live_server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_desktop(page, live_server)
    assert HOSTILE in page.inner_text("#preview-lead")
    assert "prefers mornings" in page.inner_text("#preview-lead")
    assert page.locator("#preview-lead img").count() == 0
    page.click("#preview-dial")
    page.wait_for_function("document.getElementById('preview-status').textContent.startsWith('Calling')")
    with transaction(floor.session_factory) as session:
        attempt = session.scalars(select(DialAttempt)).one()
        assert attempt.phone == ADA and attempt.mode == "preview" and attempt.agent_id is not None
    assert dialogs == []


def test_a_refused_dial_shows_its_reason(floor, live_server, page):
    _open_desktop(page, live_server)
    with transaction(floor.session_factory) as session:
        dnc.add(session, ADA, reason="asked by letter")
    page.click("#preview-dial")
    page.wait_for_selector("#preview-error:not([hidden])")
    assert "do-not-call" in page.inner_text("#preview-error")
