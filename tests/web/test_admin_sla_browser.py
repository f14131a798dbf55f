"""The SLA editors in headless Chromium: an admin changes a calendar and watches the preview's
due time move before saving; the policy editor and the staffing calculator at work."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.accounts.models import Role
from contactcenter.db import transaction
from contactcenter.tickets import sla
from tests.support.browser import log_in, screenshots
from tests.support.factories import gen_agent, gen_queue

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/slaadmin-shots")
OFFICE = {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture
def office(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin")
        gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
        gen_queue(session, "support", display_name="Support")
        gen_queue(session, "billing", display_name="Billing")
        record = sla.create_calendar(session, "NY office", OFFICE)
        sla.create_policy(
            session,
            "Standard",
            calendar_id=record.id,
            targets={"first_response": {"urgent": 3600, "*": 4 * 3600}, "resolution": 8 * 3600},
        )
        return {"calendar_id": record.id}


def due(page, metric: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"#sla-preview tr[data-metric={metric}] td.due").inner_text()


def test_an_admin_shortens_friday_and_adds_a_holiday_and_sees_the_due_time_move(office, live_server, page):
    log_in(page, live_server, "ann")
    page.click("header.top nav details.menu summary")
    page.click("header.top nav >> text=SLA policies")
    page.wait_for_selector("table#calendars")
    screenshots(page, SHOTS, "sla-index")
    page.click("table#calendars >> text=NY office")
    page.wait_for_selector("form#calendar-form")
    page.fill("input[name=preview_at]", "2026-12-11T15:00")  # a Friday, 15:00 in New York
    page.wait_for_function("document.querySelector('#preview-created').textContent.includes('11 Dec 2026, 15:00')")
    assert due(page, "first_response") == "Mon 14 Dec 2026, 11:00 EST"  # 2 h on Friday, 2 h on Monday

    page.fill("input[name=hours_fri]", "09:00-13:00")  # Friday closes at 13:00: the 4 h start Monday
    page.wait_for_function(
        "document.querySelector('#sla-preview tr[data-metric=first_response] td.due').textContent.includes('13:00')"
    )
    assert due(page, "first_response") == "Mon 14 Dec 2026, 13:00 EST"

    page.fill("textarea[name=holidays]", "2026-12-14")  # and Monday is a holiday: Tuesday then
    page.wait_for_function(
        "document.querySelector('#sla-preview tr[data-metric=first_response] td.due').textContent.includes('15 Dec')"
    )
    assert due(page, "first_response") == "Tue 15 Dec 2026, 13:00 EST"
    screenshots(page, SHOTS, "sla-calendar-preview")

    page.click("#save-button")
    page.wait_for_selector(".flash.info >> text=Calendar NY office is saved.")
    assert page.input_value("input[name=hours_fri]") == "09:00-13:00"
    assert page.input_value("textarea[name=holidays]") == "2026-12-14"


def test_a_calendar_error_is_shown_next_to_its_day(office, live_server, page):
    log_in(page, live_server, "ann")
    page.goto(f"{live_server}/admin/sla/calendars/{office['calendar_id']}")
    page.fill("input[name=hours_wed]", "17:00-09:00")
    page.wait_for_selector("#preview-problem")
    page.click("#save-button")
    assert "ends before it starts" in page.locator("#error-hours_wed").inner_text()
    assert "Nothing was saved" in page.locator("#form-error").inner_text()
    screenshots(page, SHOTS, "sla-calendar-error")


def test_an_admin_gives_urgent_tickets_a_shorter_target_and_previews_it(office, live_server, page):
    log_in(page, live_server, "ann")
    page.goto(live_server + "/admin/sla")
    page.click("#new-policy")
    page.wait_for_selector("form#policy-form")
    page.fill("input[name=name]", "Urgent <b>billing</b>")
    page.check("input[name=priorities][value=urgent]")
    page.check("input[name=queue_ids] >> nth=0")
    page.select_option("select[name=calendar_id]", label="NY office (America/New_York)")
    page.fill("input[name=target_first_response_urgent]", "30m")
    page.select_option("select[name=preview_priority]", "urgent")
    page.fill("input[name=preview_at]", "2026-12-11T16:45")
    page.wait_for_function(
        "document.querySelector('#sla-preview tr[data-metric=first_response] td.due').textContent.includes('14 Dec')"
    )
    assert due(page, "first_response") == "Mon 14 Dec 2026, 09:15 EST"  # 15 min Friday, 15 min Monday
    screenshots(page, SHOTS, "sla-policy-new")
    page.click("#save-button")
    page.wait_for_selector(".flash.info")
    assert "Urgent <b>billing</b>" in page.locator("h1").inner_text()
    assert page.input_value("input[name=target_first_response_urgent]") == "30m"


def test_a_supervisor_reads_a_policy_and_previews_another_priority(office, live_server, page):
    log_in(page, live_server, "sam")
    page.goto(live_server + "/admin/sla")
    page.click("table#policies >> text=Standard")
    page.wait_for_selector("form#policy-form")
    assert page.locator("#save-button").count() == 0 and page.locator("input[name=name]").is_disabled()
    page.fill("input[name=preview_at]", "2026-12-11T15:00")
    page.select_option("select[name=preview_priority]", "urgent")
    page.wait_for_function(
        "document.querySelector('#sla-preview tr[data-metric=first_response] td.due').textContent.includes('16:00')"
    )
    assert due(page, "first_response") == "Fri 11 Dec 2026, 16:00 EST"
    screenshots(page, SHOTS, "sla-policy-supervisor")


def test_the_staffing_calculator_shows_agents_against_service(office, live_server, page):
    log_in(page, live_server, "sam")
    page.click("header.top nav details.menu summary")
    page.click("header.top nav >> text=Staffing calculator")
    page.fill("input[name=calls_per_hour]", "200")
    page.fill("input[name=aht]", "180")
    page.fill("input[name=patience]", "120")
    page.click("#staffing-form button[type=submit]")
    page.wait_for_selector("#staffing-table")
    answer = page.locator("#agents-needed").inner_text()
    assert page.locator("#staffing-table tr.answer td").first.inner_text().startswith(answer)
    assert "Abandon rate" in page.locator("#staffing-table thead").inner_text()
    screenshots(page, SHOTS, "staffing")
