"""/reports/segments, its CSV and /api/reports/segments: the migration matrix and revenue per
segment per month, the same figures as the domain, with bad and hostile ranges refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from markupsafe import escape

from contactcenter.accounts.models import Role
from contactcenter.analytics import segments
from contactcenter.analytics.models import Order
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.factories import gen_agent, gen_customer
from tests.support.web_client import logged_in

RANGE = {"from": "2026-01-31", "to": "2026-02-28"}
HOSTILE_SEGMENT = "<script>alert(1)</script>"


def history(db) -> None:  # type: ignore[no-untyped-def]
    a = gen_customer(db, "Ann", ("+12125550101",)).id
    b = gen_customer(db, "Bob", ("+12125550102",)).id
    segments.record_snapshot(db, {a: "champions", b: "loyal"}, datetime(2026, 1, 10, tzinfo=UTC))
    segments.record_snapshot(db, {a: "at_risk", b: HOSTILE_SEGMENT}, datetime(2026, 2, 10, tzinfo=UTC))
    db.add(
        Order(
            external_id="O-1",
            customer_id=a,
            ordered_at=datetime(2026, 2, 12, tzinfo=UTC),
            currency="USD",
            total=Decimal("42.50"),
        )
    )
    db.commit()


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "carl")
    history(db)


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def test_the_page_shows_the_matrix_and_the_revenue_with_charts(app, staff):
    resp = logged_in(app, "sam").get("/reports/segments", query_string=RANGE)
    page = text(resp)
    assert resp.status_code == 200
    assert 'id="segment-migration"' in page and 'id="segment-revenue"' in page
    assert 'svg class="chart"' in page and 'id="chart-segment-sizes"' in page
    assert '<th scope="row">champions</th><td class="num">0</td>' in page  # champions → at_risk, not champions
    assert "42.50" in page


def test_segment_names_are_shown_escaped(app, staff):
    page = text(logged_in(app, "sam").get("/reports/segments", query_string=RANGE))
    assert HOSTILE_SEGMENT not in page and str(escape(HOSTILE_SEGMENT)) in page


def test_the_reports_tabs_lead_to_the_segment_report(app, staff):
    page = text(logged_in(app, "sam").get("/reports/daily"))
    assert 'href="/reports/segments"' in page


def test_agents_may_not_open_it(app, staff):
    assert logged_in(app, "carl").get("/reports/segments").status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"from": "2026-01-01' OR 1=1 --", "to": "2026-03-01"}, "from"),
        ({"from": "2026-01-01", "to": "<script>x</script>"}, "to"),
        ({"from": "2026-01-01", "to": "2" * 5000}, "to"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_a_bad_range_re_renders_with_the_message_by_its_field(app, staff, query, field):
    resp = logged_in(app, "sam").get("/reports/segments", query_string=query)
    page = text(resp)
    assert resp.status_code == 400 and f'id="{field}-error"' in page and 'id="form-error"' in page
    assert "<script>x</script>" not in page


def test_the_csv_download_is_the_domains_csv(app, staff, db):
    resp = logged_in(app, "sam").get("/reports/segments.csv", query_string=RANGE)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "segments_2026-01-31_2026-02-28.csv" in resp.headers["Content-Disposition"]
    first, last = segments.parse_range(RANGE["from"], RANGE["to"])
    expected = segments.to_csv(segments.migration(db, first, last), segments.revenue(db, first, last))
    assert text(resp) == expected
    rows = list(csv.DictReader(io.StringIO(text(resp))))
    assert {"report": "revenue", "month": "2026-02", "segment": "at_risk", "revenue": "42.50"}.items() <= next(
        r for r in rows if r["report"] == "revenue"
    ).items()


def test_the_csv_of_a_bad_range_is_the_page_with_its_error(app, staff):
    resp = logged_in(app, "sam").get("/reports/segments.csv", query_string={"from": "nope", "to": "2026-01-01"})
    assert resp.status_code == 400 and 'id="from-error"' in text(resp)


def test_the_api_gives_both_tables(api, org, db):  # noqa: F811
    history(db)
    body = api.get("/api/reports/segments?from=2026-01-31&to=2026-02-28", as_="sam").get_json()
    assert {"from_segment": "champions", "to_segment": "at_risk", "customers": 1} in body["migration"]["matrix"]
    assert body["revenue"]["rows"] == [{"month": "2026-02", "segment": "at_risk", "orders": 1, "revenue": "42.50"}]


def test_the_api_gives_csv_on_request(api, org, db):  # noqa: F811
    history(db)
    resp = api.get("/api/reports/segments?from=2026-01-31&to=2026-02-28&format=csv", as_="sam")
    assert resp.mimetype == "text/csv" and text(resp).startswith("report,from_segment")


@pytest.mark.parametrize(
    "query",
    ["from=2026-02-30&to=2026-03-01", "from=x'%3BDROP%20TABLE%20orders&to=2026-01-01", "to=2026-01-01", "tz=UTC"],
)
def test_the_api_refuses_bad_ranges(api, org, query):  # noqa: F811
    assert error_of(api.get(f"/api/reports/segments?{query}", as_="sam")) == (400, "invalid_filter")


def test_agents_may_not_read_it_from_the_api(api, org):  # noqa: F811
    assert error_of(api.get("/api/reports/segments?from=2026-01-01&to=2026-01-31", as_="alice")) == (
        403,
        "forbidden",
    )
