"""The orders page and the customer figures in headless Chromium, at 1400×900 and 1024×768:
an admin uploads a file with a problem, reads the report, uploads the corrected file; the
customer page shows value tier and segment; both pages pass the axe check."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.accounts.models import Role
from contactcenter.analytics import services
from contactcenter.db import transaction
from tests.support.accessibility import assert_accessible
from tests.support.analytics import gen_shop
from tests.support.browser import log_in
from tests.support.factories import gen_agent

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/analytics")
SIZES = ((1400, 900), (1024, 768))


@pytest.fixture
def shop(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin")
        ids = gen_shop(session, customers=80)
        services.recompute(session)
    return ids


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)


def test_an_admin_uploads_a_bad_file_reads_the_report_then_imports_the_corrected_one(shop, live_server, page, tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text(
        "order_id,customer_id,ordered_at,amount,currency\n"
        f"N-1,{shop[0]},2026-03-01,10.00,USD\n"
        f"N-2,{shop[1]},2026-13-01,5.00,USD\n"
        f"N-3,{shop[1]},2026-03-02,5.00,EUR\n"
    )
    log_in(page, live_server, "ann")
    page.wait_for_selector("header nav")
    page.click("header nav details.menu summary")
    page.click("header nav >> text=Orders & customer value")
    page.set_input_files("#orders-file", str(bad))
    page.click("#orders-form button[type=submit]")
    page.wait_for_selector("#import-problems")
    reasons = page.locator("#import-problems tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reason)")
    assert reasons == ["bad_date", "unknown_currency"]
    _shoot(page, "orders-report")
    assert_accessible(page)
    good = tmp_path / "fixed.csv"
    good.write_text(bad.read_text().replace("2026-13-01", "2026-12-01").replace("EUR", "USD").replace("12-01", "11-01"))
    page.set_input_files("#orders-file", str(good))
    page.click("#orders-form button[type=submit]")
    page.wait_for_selector("#import-outcome")
    assert "Imported 3 orders" in page.locator("#import-outcome").inner_text()


def test_the_customer_page_shows_value_and_segment(shop, live_server, page):
    log_in(page, live_server, "ann")
    page.wait_for_selector("header nav")
    page.goto(f"{live_server}/customers/{shop[0]}")
    line = page.locator("#customer-value").inner_text()
    assert "Value:" in line and "P(active)" in line and "Segment:" in line
    _shoot(page, "customer-page")
    assert_accessible(page)


@pytest.fixture
def floor(committed_runtime, simulated_carrier):  # type: ignore[no-untyped-def]
    from contactcenter.acd.models import QueueMembership
    from tests.support.factories import gen_queue

    rt = committed_runtime
    with transaction(rt.session_factory) as session:
        support = gen_queue(session, "support")
        alice = gen_agent(session, "alice", skills={"support": 5})
        session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        ids = gen_shop(session, customers=80)
        services.recompute(session)
    return rt, support.id, ids[0]


def test_the_offer_pop_shows_value_tier_clv_p_active_and_segment(floor, live_server, page):
    from contactcenter import clock
    from contactcenter.acd.models import Queue
    from contactcenter.acd.services import AcdService
    from contactcenter.contacts.models import Interaction
    from tests.support.browser import open_desktop
    from tests.support.factories import call_sid

    rt, queue_id, customer_id = floor
    open_desktop(page, live_server)
    with transaction(rt.session_factory) as session:
        call = Interaction(
            call_sid=call_sid(),
            direction="inbound",
            from_number="+14155550100",
            to_number="+18005550100",
            customer_id=customer_id,
            queue_id=queue_id,
            queued_at=clock.now(),
        )
        session.add(call)
        session.flush()
        AcdService(session, rt.acd).enqueue(call, session.get_one(Queue, queue_id))
    page.wait_for_selector("#offer:not([hidden]) #offer-pop .customer-value")
    line = page.inner_text("#offer-pop .customer-value")
    assert "Value:" in line and "12-month value" in line and "P(active)" in line
    _shoot(page, "desktop-offer-pop")
    assert_accessible(page, "#offer")
