"""A supervisor in a real headless Chromium merges a duplicate customer from the customer page,
then imports a customer CSV and watches the page follow the job into its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.app.tasks import customers as customer_tasks
from contactcenter.contacts.models import CustomerImport
from contactcenter.db import transaction
from tests.support.browser import log_in, screenshots, until
from tests.support.customers import csv_text
from tests.support.factories import gen_agent, gen_call, gen_customer, gen_ticket

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/customer-merge-import-shots")


@pytest.fixture
def customers(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
        keep = gen_customer(session, "Grace Hopper", ("+14155550100",), segment="gold", email="grace@navy.example")
        dupe = gen_customer(
            session,
            "Grace B. Hopper (Rear Admiral, retired) of the United States Navy",
            ("+14155550111", "+14155550122"),
            company="United States Navy — Naval Data Automation Command, Washington",
            time_zone="America/New_York",
            attributes={"account": "A-17"},
        )
        gen_ticket(session, "Printer jams on every second page", customer_id=dupe.id)
        gen_call(session, customer_id=dupe.id, from_number="+14155550111")
        return {"keep": keep.id, "dupe": dupe.id}


def test_supervisor_merges_a_duplicate_after_comparing_them(customers, live_server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "sam")
    page.goto(f"{live_server}/customers/{customers['keep']}")
    page.fill("#merge input[name=q]", "hopper")
    page.click("#merge button[type=submit]")
    page.wait_for_selector("table#candidates")
    screenshots(page, SHOTS, "merge-search")
    page.click(f"#candidates tr[data-customer-id='{customers['dupe']}'] a.compare")
    page.wait_for_selector("#merge-preview")
    assert "from the duplicate" in page.locator("#merge-preview tr[data-field=company]").inner_text()
    assert "1 tickets" in page.locator("#merge-moves").inner_text()
    screenshots(page, SHOTS, "merge-preview")
    page.click("#merge-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "United States Navy" in page.locator("#customer-company").inner_text()
    assert page.locator("#timeline li[data-kind]").count() == 2
    screenshots(page, SHOTS, "merged-customer")
    page.goto(f"{live_server}/customers/{customers['dupe']}")
    assert page.url.endswith(f"/customers/{customers['keep']}")


def test_supervisor_imports_a_file_and_the_page_follows_the_job(
    customers, live_server, page, committed_runtime, tmp_path
):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "sam")
    page.goto(f"{live_server}/customers")
    page.click("#import-link")
    page.wait_for_selector("#import-form")
    page.click("#import-form button[type=submit]")  # no file chosen
    page.wait_for_selector("#file-error")
    screenshots(page, SHOTS, "import-form-error")
    rows = [
        ("Ada Lovelace", "ada@engine.example", "+44 20 7946 0958", "gold", "Analytical Engines Ltd", "Europe/London")
    ]
    rows += [("", "grace@navy.example", "(415) 555-0133", "", "", "")]
    rows += [
        (f"Customer {i}", f"c{i}@example.com", "12" if i % 3 == 0 else f"+1 212 555 {1000 + i}", "", "", "")
        for i in range(12)
    ]
    rows += [("<script>alert(1)</script>", "not-an-address", "", "", "", "")]
    path = tmp_path / "customers.csv"
    path.write_text(csv_text(("name", "email", "phone", "segment", "company", "time_zone"), rows))
    page.set_input_files("#import-form input[name=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-progress")
    screenshots(page, SHOTS, "import-waiting")
    with transaction(committed_runtime.session_factory) as session:
        number = session.scalars(select(CustomerImport.id)).one()
    customer_tasks.run_customer_import(number)  # the worker picks the job up
    page.wait_for_selector("#import-report", timeout=10_000)
    assert page.locator("#rows-accepted").inner_text() == "9"
    assert page.locator("#rows-updated").inner_text() == "1"
    assert page.locator("#rows-rejected").inner_text() == "5"
    until(lambda: page.locator("#import-rows tbody tr[data-line]").count() == 5, "the rejected rows listed")
    screenshots(page, SHOTS, "import-report")
    page.click("nav.tabs a[data-outcome=updated]")
    page.wait_for_selector("#import-rows tr[data-line='3']")
    screenshots(page, SHOTS, "import-report-updated")
