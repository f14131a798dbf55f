"""A supervisor runs an outbound campaign from the pages, in headless Chromium: creates the
campaign, imports a do-not-call list and leads, starts it and sees the dials rise while the real
pacer places calls through the real-time carrier simulator."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import timezone as number_zones
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.app.demo_data import OUTBOUND_NUMBER_STEMS, OUTBOUND_REGIONS
from contactcenter.app.services import CarrierUrls, Services, configure_router, pacer_worker
from contactcenter.db import transaction
from contactcenter.dialer.models import Campaign, DncEntry
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_agent, gen_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path("/tmp/outbound-admin-shots")


def _numbers_in_calling_hours(count: int) -> list[str]:
    """Lead numbers whose local time is well inside 09:00-20:00 now, wherever the test runs."""
    for stem in OUTBOUND_NUMBER_STEMS:
        first = f"{stem}00"
        zone = number_zones.time_zones_for_number(phonenumbers.parse(first))[0]
        if 10 <= datetime.now(ZoneInfo(zone)).hour < 19:
            return [f"{stem}{n:02d}" for n in range(count)]
    raise AssertionError("no region of the demo numbers is in its calling hours")


def test_a_supervisor_creates_imports_starts_and_sees_dials(committed_runtime, live_server, simulated_carrier, page):
    rt, base = committed_runtime, live_server
    rt.settings = rt.settings.with_overrides(ivr_flow="")
    with transaction(rt.session_factory) as session:
        sales = gen_queue(session, "sales")
        dave = gen_agent(session, "dave", skills={})
        session.add(QueueMembership(queue_id=sales.id, user_id=dave.id))
        gen_agent(session, "sam", role="supervisor")
        dave_id = dave.id
    configure_router(rt)
    simulated_carrier.start()
    numbers = _numbers_in_calling_hours(4)
    blocked = numbers[-1]

    log_in(page, base, "sam")
    page.goto(base + "/admin/dialer/new")
    page.fill("input[name=name]", "Winter renewals")
    page.select_option("select[name=dial_mode]", "progressive")
    page.select_option("select[name=queue_id]", label="sales")
    page.fill("input[name=caller_id]", "202-555-0100")
    page.fill("input[name=company_name]", "Acme Energy")
    page.fill("input[name=callback_number]", "800-555-0123")
    page.check("input[name=days][value=sun]")
    page.fill("input[name=allowed_regions]", ", ".join(OUTBOUND_REGIONS))
    page.fill("input[name=ring_timeout_s]", "15")
    screenshots(page, SHOTS, "campaign-form")
    page.fill("input[name=window_end]", "22:00")  # past 21:00: the US rules refuse it
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#error-calling_window")
    screenshots(page, SHOTS, "campaign-form-refused")
    page.fill("input[name=window_end]", "20:00")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#campaign-stats")
    screenshots(page, SHOTS, "campaign-new")

    page.goto(base + "/admin/dnc")
    page.select_option("#dnc-import select[name=kind]", "national")
    page.fill("#dnc-import input[name=reason]", "National register, December")
    page.set_input_files(
        "#dnc-import input[name=file]",
        {"name": "register.csv", "mimeType": "text/csv", "buffer": f"phone\n{blocked}\n".encode()},
    )
    page.click("#dnc-import-submit")
    page.wait_for_selector("#dnc-report")
    assert page.inner_text("#dnc-imported") == "1"
    screenshots(page, SHOTS, "dnc-import")

    with transaction(rt.session_factory) as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
        assert session.scalars(select(DncEntry.source)).one() == "national"
    page.goto(f"{base}/admin/dialer/{campaign_id}")
    leads = "name,phone\n" + "".join(f"Lead {i},{n}\n" for i, n in enumerate(numbers))
    page.set_input_files(
        "form.upload input[name=file]", {"name": "leads.csv", "mimeType": "text/csv", "buffer": leads.encode()}
    )
    page.click("#upload-leads")
    page.wait_for_selector("#import-report")
    assert page.inner_text("#rows-imported") == "3" and page.inner_text("#rows-rejected") == "1"
    assert page.locator('tr[data-reason="dnc"]').count() == 1
    screenshots(page, SHOTS, "lead-import")

    # The first lead asks not to be called after its import: the gate refuses it at dial time.
    page.goto(base + "/admin/dnc")
    page.fill("#dnc-add input[name=phone]", numbers[0])
    page.fill("#dnc-add input[name=reason]", "asked by letter")
    page.click("#dnc-add button[type=submit]")
    page.wait_for_selector(f'tr[data-phone="{numbers[0]}"]')

    page.goto(f"{base}/admin/dialer/{campaign_id}")
    page.click("#start")
    page.wait_for_function("document.getElementById('campaign-status').textContent === 'running'")
    with transaction(rt.session_factory) as session:
        Services(rt, session, CarrierUrls.under(base)).acd.set_state(dave_id, "available")
    stop = threading.Event()
    worker = pacer_worker(rt, base, tick_s=0.5)
    pacer = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    pacer.start()
    try:
        page.wait_for_function(
            "Number(document.getElementById('stat-dialed').textContent) >= 1"
            " && Number(document.getElementById('stat-refused').textContent) >= 1",
            timeout=20_000,
        )
    finally:
        stop.set()
        pacer.join(timeout=10)
    screenshots(page, SHOTS, "campaign-dialing")
    assert page.inner_text("#campaign-status") == "running"
    page.reload()
    page.click(f'#leads tr:has-text("{numbers[0]}") a')
    page.wait_for_selector('#refusals tr[data-reason="dnc_internal"]')
    assert "asked by letter" in page.inner_text("#refusals") and page.inner_text("#lead-status") == "dnc"
    screenshots(page, SHOTS, "lead-refused")
    page.go_back()
    page.click("#stop")
    page.wait_for_selector("#stop-confirm")
    screenshots(page, SHOTS, "stop-confirm")
    page.goto(base + "/admin/dialer")
    page.wait_for_selector(f"#campaign-{campaign_id}")
    screenshots(page, SHOTS, "campaigns")
