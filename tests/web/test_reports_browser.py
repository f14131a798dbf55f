"""The report pages in headless Chromium: a supervisor opens each report from the tabs, changes
the range, reads a chart's tooltip, and downloads the CSV."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from contactcenter import clock
from contactcenter.db import transaction
from tests.support.browser import log_in, screenshots
from tests.support.reports import sample_centre

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/reports-shots")


@pytest.fixture
def centre(committed_runtime):  # type: ignore[no-untyped-def]
    with transaction(committed_runtime.session_factory) as session:
        sample_centre(session, clock.now())


def open_reports(page, base):  # type: ignore[no-untyped-def]
    log_in(page, base, "sam")
    page.wait_for_selector("header nav")
    page.click("header nav >> text=Reports")
    page.wait_for_selector("#report-range")


def test_each_report_opens_from_its_tab_with_charts_and_tables(centre, live_server, page):
    open_reports(page, live_server)
    for kind, chart in (
        ("intervals", "chart-calls"),
        ("agents", "chart-handled"),
        ("daily", "chart-containment"),
        ("sla", "chart-sla"),
        ("dialer", "chart-dials"),
    ):
        page.click(f"#report-kinds a[data-kind={kind}]")
        page.wait_for_selector(f"svg#{chart}")
        assert page.locator(f"#report-kinds a[data-kind={kind}]").get_attribute("aria-current") == "page"
        assert page.locator(f"table#{chart}-data tbody tr").count() >= 1
        screenshots(page, SHOTS, kind)


def test_changing_the_range_redraws_the_report(centre, live_server, page):
    open_reports(page, live_server)
    page.select_option("select[name=interval]", "day")
    page.click("#report-range button[type=submit]")
    page.wait_for_selector("svg#chart-calls")
    days_shown = page.locator("table#chart-calls-data tbody tr").count()
    yesterday = (clock.now().date() - timedelta(days=1)).isoformat()
    page.fill("input[name=from]", yesterday)
    page.fill("input[name=to]", yesterday)
    page.click("#report-range button[type=submit]")
    page.wait_for_selector("svg#chart-calls")
    assert page.locator("table#chart-calls-data tbody tr").count() == 1 < days_shown
    assert yesterday in page.locator("#report-window").inner_text()


def test_a_bad_range_is_explained_next_to_the_field(centre, live_server, page):
    open_reports(page, live_server)
    page.fill("input[name=from]", "2026-06-15")
    page.fill("input[name=to]", "2026-06-01")
    page.click("#report-range button[type=submit]")
    page.wait_for_selector("#to-error")
    assert "comes before the start date" in page.locator("#to-error").inner_text()
    assert page.locator("svg.chart").count() == 0
    screenshots(page, SHOTS, "bad-range")


def test_hovering_a_bar_names_it_in_its_tooltip(centre, live_server, page):
    open_reports(page, live_server)
    page.click("#report-kinds a[data-kind=dialer]")
    bar = page.locator("svg#chart-dials g.series[data-series=Dials] rect").first
    bar.hover()
    assert bar.locator("title").text_content().startswith("Dials · Spring renewals: ")
    cap = page.locator("svg#chart-abandon line.reference title").text_content()
    assert cap == "Cap: 3.0%"


def test_csv_downloads_with_the_pages_range(centre, live_server, page):
    open_reports(page, live_server)
    page.click("#report-kinds a[data-kind=agents]")
    page.wait_for_selector("#csv-download")
    with page.expect_download() as info:
        page.click("#csv-download")
    download = info.value
    today = clock.now().date()
    assert download.suggested_filename == f"agents-{(today - timedelta(days=6)).isoformat()}-{today.isoformat()}.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("agent,start,handled,aht_s") and any(line.startswith("alice,") for line in lines[1:])
    assert date.fromisoformat(lines[1].split(",")[1][:10]) <= today
