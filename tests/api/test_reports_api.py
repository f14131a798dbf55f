"""/api/reports/{intervals,agents,daily,dialer}: the same figures as the domain (and so as the
pages and the CLI), as JSON or CSV, for supervisors and admins, with the range checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from contactcenter.dialer.reports import dialer_report
from contactcenter.ivr.reports import containment
from contactcenter.tickets.reports import agent_report, daily_report, interval_report
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)
from tests.support.dialer import gen_attempt, gen_campaign
from tests.support.intervals import DAY, NOW, add_call, t, trail

DAY_RANGE = "from=2026-06-15&to=2026-06-15&tz=UTC"


@pytest.fixture
def calls(db, org):  # type: ignore[no-untyped-def]
    """Three calls to support around 10:00 and half an hour of Alice's trail."""
    first = add_call(
        db,
        org.support,
        t(10, 0),
        10,
        "completed",
        talk=120,
        agent=org.alice,
        csat=4,
        ivr_flow="main",
        ivr_exit="completed",
    )
    add_call(db, org.support, t(10, 20), 30, "abandoned", ivr_flow="main", ivr_exit="transferred")
    add_call(db, org.support, t(10, 40), 5, "completed", talk=60, csat=2)
    trail(
        db,
        org.alice,
        (t(9, 50), "available"),
        (t(10, 0, 10), "on_call", first.call_sid),
        (t(10, 2, 10), "wrap_up", first.call_sid),
        (t(10, 3), "available"),
        (t(10, 30), "offline"),
    )
    db.commit()


def get(api, path, as_="sam"):  # type: ignore[no-untyped-def]
    with freeze_time(NOW):
        return api.get(path, as_=as_)


def test_intervals_json_is_the_domains_report(api, calls, db):
    body = get(api, f"/api/reports/intervals?{DAY_RANGE}&interval=30").get_json()
    with freeze_time(NOW):
        expected = interval_report(db, DAY, DAY, time_zone="UTC", granularity="30min").to_dict()
    assert body == expected
    assert [(r["start"], r["offered"]) for r in body["rows"]] == [
        ("2026-06-15T10:00:00+00:00", 2),
        ("2026-06-15T10:30:00+00:00", 1),
    ]


def test_intervals_of_an_hour_add_the_quarters_up(api, calls):
    body = get(api, f"/api/reports/intervals?{DAY_RANGE}&interval=60&queue=support").get_json()
    assert body["granularity"] == "hour" and [r["offered"] for r in body["rows"]] == [3]


def test_agents_json_is_the_domains_report(api, calls, db):
    body = get(api, f"/api/reports/agents?{DAY_RANGE}&interval=day&agent=alice").get_json()
    with freeze_time(NOW):
        expected = agent_report(db, DAY, DAY, time_zone="UTC", granularity="day", agent="alice").to_dict()
    assert body == expected and body["rows"][0]["handled"] == 1


def test_daily_json_is_the_domains_report(api, calls, db):
    body = get(api, f"/api/reports/daily?{DAY_RANGE}").get_json()
    assert body == daily_report(db, DAY, DAY, containment=containment, time_zone="UTC").to_dict()
    assert body["csat"] == [{"day": "2026-06-15", "count": 2, "mean": 3.0}]


def test_dialer_json_names_the_regulatory_periods_rate(api, org, db):
    with freeze_time(NOW - timedelta(hours=2)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, NOW - timedelta(minutes=20), answered=True, connected=True)
    gen_attempt(db, campaign, NOW - timedelta(minutes=10), answered=True, abandoned=True)
    gen_attempt(db, campaign, NOW - timedelta(minutes=5), machine=True)
    db.commit()
    body = get(api, f"/api/reports/dialer?{DAY_RANGE}").get_json()
    with freeze_time(NOW):
        assert body == dialer_report(db, DAY, DAY, time_zone="UTC").to_dict()
    [row] = body["rows"]
    assert (row["dials"], row["live_answered"], row["connects"], row["abandoned"], row["machines"]) == (3, 2, 1, 1, 1)
    assert row["abandon_rate"] == 0.5 and row["period_abandon_rate"] == 0.5 and row["cap"] == 0.03


def test_csv_format_is_the_reports_csv(api, calls, db):
    resp = get(api, f"/api/reports/intervals?{DAY_RANGE}&interval=15&format=csv")
    with freeze_time(NOW):
        expected = interval_report(db, DAY, DAY, time_zone="UTC").to_csv()
    assert resp.status_code == 200 and resp.mimetype == "text/csv" and resp.get_data(as_text=True) == expected


def test_admins_may_read_reports(api, calls):
    assert get(api, f"/api/reports/daily?{DAY_RANGE}", as_="ada").status_code == 200


@pytest.mark.parametrize("kind", ["intervals", "agents", "daily", "dialer"])
def test_agents_may_not_read_reports(api, org, kind):
    assert error_of(get(api, f"/api/reports/{kind}", as_="alice")) == (403, "forbidden")


def test_a_token_is_needed(api, org):
    assert error_of(get(api, "/api/reports/dialer", as_=None)) == (401, "unauthorized")


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-06-15&to=2026-06-14",
        "from=2026-01-01&to=2026-06-30",
        "from=yesterday",
        "tz=Mars/Olympus",
        "interval=45",
        "queue=nowhere",
        "formula=magic",
        "format=xml",
        "limit=abc&colour=red",
        f"queue={'q' * 500}",
    ],
)
def test_bad_queries_are_refused(api, org, query):
    assert error_of(get(api, f"/api/reports/intervals?{query}")) == (400, "invalid_filter")


def test_the_message_names_the_field(api, org):
    body = get(api, "/api/reports/daily?from=2026-06-15&to=2026-06-14").get_json()
    assert body["error"]["message"] == "to: the end date comes before the start date"


def test_a_parameter_of_another_report_is_refused(api, org):
    assert error_of(get(api, "/api/reports/daily?agent=alice")) == (400, "invalid_filter")


def test_every_report_is_in_the_openapi_document(api, org):
    document = get(api, "/api/openapi.json", as_=None).get_json()
    for kind in ("intervals", "agents", "daily", "dialer"):
        op = document["paths"][f"/api/reports/{kind}"]["get"]
        assert {"application/json", "text/csv"} <= set(op["responses"]["200"]["content"])
        assert {"from", "to", "tz", "format"} <= {p["name"] for p in op["parameters"]}
