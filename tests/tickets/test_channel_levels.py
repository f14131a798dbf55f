"""Service level per channel: first replies against each channel's own target, per interval."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from contactcenter.app.cli import main
from contactcenter.tickets import sla
from contactcenter.tickets.reports import channel_report
from contactcenter.tickets.services import add_comment, change_status, open_ticket
from tests.support.api import api, error_of, org  # noqa: F401  (fixtures)

T0 = datetime(2026, 6, 15, 8, tzinfo=UTC)
DAY = date(2026, 6, 15)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def channels(db):  # type: ignore[no-untyped-def]
    """Chat answers in 30 s, SMS in 15 min, anything else in 8 h; tickets opened at 08:00 and 09:10."""
    sla.create_policy(db, "Chat", targets={"first_response": 30}, channels=["chat"], position=10)
    sla.create_policy(db, "SMS", targets={"first_response": 900}, channels=["sms"], position=20)
    sla.create_policy(db, "Everything else", targets={"first_response": 8 * 3600}, position=90)
    with freeze_time(at(0)) as frozen:
        quick = open_ticket(db, "Chat answered in 20 s", channel="chat")
        slow = open_ticket(db, "Chat answered in 45 s", channel="chat")
        text = open_ticket(db, "Text answered in 10 min", channel="sms")
        mail = open_ticket(db, "Mail nobody read yet", channel="email")
        frozen.move_to(at(20))
        add_comment(db, quick, "Hello!", public=True)
        frozen.move_to(at(45))
        add_comment(db, slow, "Sorry, hello!", public=True)
        frozen.move_to(at(600))
        add_comment(db, text, "Done", public=True)
        frozen.move_to(at(70 * 60))
        late = open_ticket(db, "Chat solved without a word", channel="chat")
        frozen.move_to(at(70 * 60 + 10))
        change_status(db, late, "open")
        change_status(db, late, "solved")
    return {"quick": quick, "slow": slow, "text": text, "mail": mail}


def _by(report):  # type: ignore[no-untyped-def]
    return {(r.channel, r.label[11:16]): (r.opened, r.met, r.breached, r.unanswered, r.waiting) for r in report.rows}


def test_each_channel_is_measured_against_its_own_target(db, channels) -> None:  # type: ignore[no-untyped-def]
    report = channel_report(db, DAY, DAY, granularity="hour", now=at(2 * 3600))
    assert _by(report) == {
        ("chat", "08:00"): (2, 1, 1, 0, 0),
        ("chat", "09:00"): (1, 0, 0, 1, 0),
        ("email", "08:00"): (1, 0, 0, 0, 1),
        ("sms", "08:00"): (1, 1, 0, 0, 0),
    }
    targets = {t.channel: t.describe() for t in report.targets}
    assert targets == {"chat": "30 s", "sms": "15 min", "email": "8 h"}


def test_totals_give_the_rate_and_the_median_first_reply(db, channels) -> None:  # type: ignore[no-untyped-def]
    report = channel_report(db, DAY, DAY, granularity="day", now=at(2 * 3600))
    totals = {r.channel: r for r in report.totals}
    assert totals["chat"].service_level == 0.5 and totals["chat"].median_reply_s == 20.0
    assert totals["sms"].service_level == 1.0 and totals["sms"].median_reply_s == 600.0
    assert totals["email"].service_level is None  # nothing decided yet


def test_a_waiting_ticket_becomes_breached_once_its_target_passes(db, channels) -> None:  # type: ignore[no-untyped-def]
    report = channel_report(db, DAY, DAY, granularity="day", now=at(9 * 3600))
    email = next(r for r in report.totals if r.channel == "email")
    assert (email.breached, email.waiting, email.service_level) == (1, 0, 0.0)


def test_intervals_are_cut_in_the_reports_time_zone(db, channels) -> None:  # type: ignore[no-untyped-def]
    report = channel_report(db, DAY, DAY, time_zone="America/New_York", granularity="interval", now=at(7200))
    assert {r.label for r in report.rows if r.channel == "chat"} == {
        "2026-06-15T04:00:00-04:00",
        "2026-06-15T05:00:00-04:00",
    }


def test_cli_report_channels_prints_json_and_a_table(db, runtime, channels) -> None:  # type: ignore[no-untyped-def]
    db.commit()
    args = ["report", "channels", "--from", "2026-06-15", "--to", "2026-06-15", "--daily"]
    with freeze_time(at(2 * 3600)):
        as_json = CliRunner().invoke(main, [*args, "--json"])
        table = CliRunner().invoke(main, args)
    assert as_json.exit_code == 0, as_json.output
    totals = {r["channel"]: r for r in json.loads(as_json.output)["totals"]}
    assert totals["chat"]["service_level"] == 0.5
    assert table.exit_code == 0 and "targets: chat 30 s; email 8 h; sms 15 min" in table.output


def test_the_channels_page_and_api_agree(app, api, db, channels) -> None:  # type: ignore[no-untyped-def]
    from tests.support.web_client import logged_in

    db.commit()
    query = "from=2026-06-15&to=2026-06-15&tz=UTC&interval=day"
    with freeze_time(at(2 * 3600)):
        page = logged_in(app, "sam").get(f"/reports/channels?{query}")
        answer = api.get(f"/api/reports/channels?{query}", as_="sam")
    assert page.status_code == 200 and answer.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-channel-levels"' in html and "30 s" in html and "15 min" in html
    assert {r["channel"]: r["met"] for r in answer.get_json()["totals"]} == {"chat": 1, "email": 0, "sms": 1}


def test_an_unknown_interval_is_refused_by_the_api(api, db) -> None:  # type: ignore[no-untyped-def]
    answer = api.get("/api/reports/channels?interval=%3Cscript%3E", as_="sam")
    assert error_of(answer)[0] == 400
