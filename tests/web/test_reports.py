"""The report pages: who may open them, the figures (the same as the CLI's), the date range and
its checks, the charts beside their tables, and the CSV download."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from freezegun import freeze_time

from contactcenter.accounts.models import Role
from contactcenter.ivr.reports import containment
from contactcenter.tickets.reports import agent_report, daily_report, interval_report
from tests.support.dialer import gen_attempt, gen_campaign
from tests.support.factories import gen_agent, gen_queue
from tests.support.intervals import DAY, NOW, add_call, scenario, t  # noqa: F401  (the fixture)
from tests.support.web_client import logged_in

KINDS = ("intervals", "agents", "daily", "sla", "dialer")
ON_THE_DAY = {"from": "2026-06-15", "to": "2026-06-15", "tz": "UTC"}


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "ada", role=Role.ADMIN)
    gen_agent(db, "carl")
    db.commit()


def get(app, path, username="sam", **params):  # type: ignore[no-untyped-def]
    with freeze_time(NOW):
        return logged_in(app, username).get(path, query_string=params)


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


# -- who ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_supervisor_opens_each_report_with_a_chart_and_its_table(app, staff, kind):
    resp = get(app, f"/reports/{kind}")
    assert resp.status_code == 200
    page = text(resp)
    assert '<svg class="chart"' in page and 'id="chart-' in page and "-data" in page


def test_admin_opens_the_reports(app, staff):
    assert get(app, "/reports/intervals", "ada").status_code == 200


@pytest.mark.parametrize("path", ["/reports", "/reports/intervals", "/reports/dialer.csv"])
def test_agents_may_not_open_reports(app, staff, path):
    assert get(app, path, "carl").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, staff):
    resp = client.get("/reports/intervals")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_unknown_report_is_not_found(app, staff):
    assert get(app, "/reports/payroll").status_code == 404


def test_reports_link_shows_for_staff_only(app, staff):
    assert b'href="/reports"' in get(app, "/", "sam").data
    assert b'href="/reports"' not in get(app, "/", "carl").data


def test_report_tabs_keep_the_range(app, staff):
    page = text(get(app, "/reports/daily", **ON_THE_DAY))
    assert 'href="/reports/dialer?from=2026-06-15&amp;to=2026-06-15&amp;tz=UTC" data-kind="dialer"' in page


def test_reports_index_opens_the_intervals(app, staff):
    resp = get(app, "/reports")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports/intervals")


# -- the range ---------------------------------------------------------------------------------


def test_default_range_is_the_last_seven_days_in_the_centres_zone(app, staff, db):
    gen_queue(db, "paris", time_zone="Europe/Paris")
    db.commit()
    with freeze_time("2026-06-15T22:30:00Z"):  # already the 16th in Paris
        page = text(logged_in(app, "sam").get("/reports/daily"))
    assert 'name="from" value="2026-06-10"' in page and 'name="to" value="2026-06-16"' in page
    assert '<option value="Europe/Paris" selected>' in page


def test_end_before_start_is_refused_next_to_the_field(app, staff):
    resp = get(app, "/reports/intervals", **{"from": "2026-06-15", "to": "2026-06-14"})
    assert resp.status_code == 400
    assert 'id="to-error"' in text(resp) and "the end date comes before the start date" in text(resp)
    assert '<svg class="chart"' not in text(resp) and 'id="csv-download"' not in text(resp)


def test_more_than_92_days_is_refused(app, staff):
    resp = get(app, "/reports/agents", **{"from": "2026-01-01", "to": "2026-04-03"})
    assert resp.status_code == 400 and "at most 92 days at a time" in text(resp)


def test_92_days_are_accepted(app, staff):
    assert get(app, "/reports/agents", interval="day", **{"from": "2026-01-01", "to": "2026-04-02"}).status_code == 200


def test_intervals_of_minutes_are_limited_to_31_days(app, staff):
    month = get(app, "/reports/intervals", interval="60", **{"from": "2026-01-01", "to": "2026-01-31"})
    assert month.status_code == 200
    resp = get(app, "/reports/intervals", interval="60", **{"from": "2026-01-01", "to": "2026-02-01"})
    assert resp.status_code == 400 and "choose day for a longer range" in text(resp)


def test_a_date_that_is_not_a_date_is_refused(app, staff):
    resp = get(app, "/reports/daily", **{"from": "15/06/2026"})
    assert resp.status_code == 400 and 'id="from-error"' in text(resp) and "not a date (YYYY-MM-DD)" in text(resp)


def test_unknown_time_zone_is_refused(app, staff):
    resp = get(app, "/reports/sla", tz="Mars/Olympus")
    assert resp.status_code == 400 and 'id="tz-error"' in text(resp) and "unknown time zone" in text(resp)


def test_unknown_interval_queue_agent_and_formula_are_refused(app, staff):
    intervals = text(get(app, "/reports/intervals", interval="45", queue="nowhere", formula="magic"))
    assert 'id="interval-error"' in intervals and 'id="queue-error"' in intervals and 'id="formula-error"' in intervals
    agents = text(get(app, "/reports/agents", agent="nobody"))
    assert 'id="agent-error"' in agents and "no agent by that name" in agents


def test_oversized_input_gets_a_clear_error(app, staff):
    resp = get(app, "/reports/intervals", queue="q" * 5000)
    assert resp.status_code == 400 and "too long (at most 100 characters)" in text(resp)


HOSTILE = ("<script>alert(1)</script>", "' OR 1=1 --")


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("kind", ["intervals", "agents"])
def test_hostile_text_in_every_field_is_refused_and_shown_escaped(app, staff, kind, value):
    fields = ("from", "to", "tz", "interval", "queue", "agent", "formula")
    resp = get(app, f"/reports/{kind}", **dict.fromkeys(fields, value))
    page = text(resp)
    assert resp.status_code == 400
    assert "<script>alert(1)</script>" not in page
    assert 'id="from-error"' in page and 'id="to-error"' in page and 'id="tz-error"' in page
    assert 'id="interval-error"' in page
    escaped = {HOSTILE[0]: "&lt;script&gt;alert(1)&lt;/script&gt;", HOSTILE[1]: "&#39; OR 1=1 --"}[value]
    assert f'<option value="{escaped}" selected>' in page  # what was typed, shown back escaped


def test_hostile_csv_request_answers_the_page_with_its_errors(app, staff):
    resp = get(app, "/reports/daily.csv", **{"from": HOSTILE[0]})
    assert resp.status_code == 400 and resp.mimetype == "text/html" and "<script>alert(1)</script>" not in text(resp)


# -- the figures -------------------------------------------------------------------------------


def test_intervals_show_the_figures_the_cli_computes(app, staff, scenario, db):
    page = text(get(app, "/reports/intervals", interval="15", **ON_THE_DAY))
    with freeze_time(NOW):
        report = interval_report(db, DAY, DAY, time_zone="UTC")
    first = report.rows[0]
    assert first.offered == 6
    assert "<td>2026-06-15 10:00</td>" in page and f'<td class="num">{first.offered}</td>' in page
    assert "Offered · 06-15 10:00" not in page  # tooltips name the bucket in full
    assert "<title>Offered · 2026-06-15 10:00: 6</title>" in page


@pytest.mark.parametrize(("interval", "offered"), [("15", "6"), ("30", "7"), ("60", "7")])
def test_intervals_of_15_30_or_60_minutes(app, staff, scenario, interval, offered):
    page = text(get(app, "/reports/intervals", interval=interval, **ON_THE_DAY))
    assert f"<title>Offered · 2026-06-15 10:00: {offered}</title>" in page


def test_intervals_by_day_label_the_day(app, staff, scenario):
    page = text(get(app, "/reports/intervals", interval="day", **ON_THE_DAY))
    assert "<title>Offered · 2026-06-15: 7</title>" in page


def test_service_level_line_has_a_point_per_interval_with_a_tooltip(app, staff, scenario):
    page = text(get(app, "/reports/intervals", interval="15", formula="in-t", **ON_THE_DAY))
    assert "<title>support · 2026-06-15 10:00: " in page and "polyline" in page


def test_agents_page_shows_occupancy_per_agent(app, staff, scenario, db):
    page = text(get(app, "/reports/agents", interval="day", **ON_THE_DAY))
    with freeze_time(NOW):
        report = agent_report(db, DAY, DAY, time_zone="UTC", granularity="day")
    alice = next(r for r in report.rows if r.agent == "alice")
    assert f"<title>Occupancy · alice: {alice.occupancy:.1%}</title>" in page


def test_daily_page_shows_containment_and_csat(app, staff, scenario, db):
    page = text(get(app, "/reports/daily", **ON_THE_DAY))
    report = daily_report(db, DAY, DAY, containment=containment, time_zone="UTC")
    assert report.containment[0].rate == 0.5
    assert "<title>main · 2026-06-15: 50.0%</title>" in page and "<title>CSAT · 2026-06-15: 4</title>" in page


def test_flow_names_are_escaped_in_charts_and_tables(app, staff, db):
    queue = gen_queue(db, "support")
    add_call(db, queue, t(10, 0), 5, "completed", talk=30, ivr_flow="<script>alert(1)</script>", ivr_exit="completed")
    db.commit()
    page = text(get(app, "/reports/daily", **ON_THE_DAY))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_dialer_page_shows_dials_connects_and_the_period_rate_against_the_cap(app, staff, db):
    with freeze_time(NOW - timedelta(hours=3)):
        campaign = gen_campaign(db, "Renewals")
    for minutes in range(10):
        gen_attempt(
            db,
            campaign,
            NOW - timedelta(minutes=30 + minutes),
            answered=minutes < 8,
            connected=minutes < 7,
            abandoned=minutes == 7,
        )
    db.commit()
    page = text(get(app, "/reports/dialer", **ON_THE_DAY))
    assert "<title>Dials · Renewals: 10</title>" in page and "<title>Connects · Renewals: 7</title>" in page
    assert "<title>Abandon rate (period) · Renewals: 12.5%</title>" in page
    assert "<title>Cap: 3.0%</title>" in page and "12.5% (over cap)" in page


def test_empty_range_says_so(app, staff):
    page = text(get(app, "/reports/sla", **ON_THE_DAY))
    assert 'id="report-empty"' in page


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_download_is_the_domains_csv(app, staff, scenario, db):
    resp = get(app, "/reports/intervals.csv", interval="15", **ON_THE_DAY)
    with freeze_time(NOW):
        expected = interval_report(db, DAY, DAY, time_zone="UTC").to_csv()
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="intervals-2026-06-15-2026-06-15.csv"'
    assert text(resp) == expected


def test_page_links_its_csv_with_the_same_range(app, staff, scenario):
    page = text(get(app, "/reports/agents", interval="30", **ON_THE_DAY))
    assert 'href="/reports/agents.csv?from=2026-06-15&amp;to=2026-06-15&amp;tz=UTC&amp;interval=30"' in page


def test_csv_makes_formulas_inert(app, staff, db):
    queue = gen_queue(db, "support")
    add_call(db, queue, t(10, 0), 5, "completed", talk=30, ivr_flow='=HYPERLINK("http://x")', ivr_exit="completed")
    db.commit()
    rows = list(csv.DictReader(io.StringIO(text(get(app, "/reports/daily.csv", **ON_THE_DAY)))))
    flows = [r["flow"] for r in rows if r["kind"] == "containment"]
    assert flows == ['\'=HYPERLINK("http://x")']


def test_dialer_csv_has_a_row_per_campaign(app, staff, db):
    with freeze_time(NOW - timedelta(hours=3)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, NOW - timedelta(minutes=5), answered=True, connected=True)
    db.commit()
    rows = list(csv.DictReader(io.StringIO(text(get(app, "/reports/dialer.csv", **ON_THE_DAY)))))
    assert [(r["campaign"], r["dials"], r["connects"], r["connect_rate"]) for r in rows] == [
        ("Renewals", "1", "1", "1.0")
    ]
