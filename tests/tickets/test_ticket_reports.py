"""Ticket SLA hit-rate report: the function and `contactcenter report sla`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from contactcenter.app.cli import main
from contactcenter.tickets import sla
from contactcenter.tickets.reports import sla_hit_rates
from contactcenter.tickets.services import add_comment, change_status, open_ticket
from tests.support.factories import gen_queue

T0 = datetime(2026, 6, 15, 8, tzinfo=UTC)
HOUR = 3600


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def history(db):  # type: ignore[no-untyped-def]
    """Three tickets under one calendar-hours policy (first response 1 h, resolution 4 h)."""
    support, billing = gen_queue(db, "support"), gen_queue(db, "=billing")  # a formula-looking name
    policy = sla.create_policy(db, "Standard", targets={"first_response": HOUR, "resolution": 4 * HOUR})
    with freeze_time(at(0)) as frozen:
        met = open_ticket(db, "Answered fast", queue_id=support.id)
        late = open_ticket(db, "Answered late", queue_id=support.id)
        ignored = open_ticket(db, "Nobody looked", queue_id=billing.id, priority="high")
        for ticket in (met, late, ignored):
            change_status(db, ticket, "open")
        frozen.move_to(at(30))
        add_comment(db, met, "On it", public=True)
        frozen.move_to(at(120))
        add_comment(db, late, "Sorry for the wait", public=True)
        change_status(db, met, "solved")
    return policy, support, billing


def as_rows(report):  # type: ignore[no-untyped-def]
    return {(r.queue, r.priority, r.metric): (r.met, r.breached, r.hit_rate) for r in report.rows}


def test_hit_rates_per_policy_priority_queue_and_metric(db, history):
    policy, _support, _billing = history
    report = sla_hit_rates(db, now=at(180))
    assert as_rows(report) == {
        ("support", "normal", "first_response"): (1, 1, 0.5),
        ("support", "normal", "resolution"): (1, 0, 1.0),  # the late ticket's resolution is not due yet
        ("=billing", "high", "first_response"): (0, 1, 0.0),
    }
    assert {r.policy for r in report.rows} == {policy.name}
    assert report.totals() == {
        "first_response": {"met": 1, "breached": 2, "unanswered": 0, "hit_rate": 1 / 3},
        "resolution": {"met": 1, "breached": 0, "unanswered": 0, "hit_rate": 1.0},
    }
    later = as_rows(sla_hit_rates(db, now=at(300)))  # past the 4 h resolution deadlines
    assert later[("support", "normal", "resolution")] == (1, 1, 0.5)
    assert later[("=billing", "high", "resolution")] == (0, 1, 0.0)


def test_window_counts_clocks_by_when_they_were_decided(db, history):
    # First responses: met at 0:30, breached at 1:00 (twice). Resolution met at 2:00.
    window = as_rows(sla_hit_rates(db, start=at(45), end=at(121), now=at(180)))
    assert window == {
        ("support", "normal", "first_response"): (0, 1, 0.0),
        ("=billing", "high", "first_response"): (0, 1, 0.0),
        ("support", "normal", "resolution"): (1, 0, 1.0),
    }
    assert sla_hit_rates(db, start=at(600), now=at(700)).rows == []


def test_cli_report_sla_json_csv_and_table(db, runtime, history):
    db.commit()
    runner = CliRunner()
    with freeze_time(at(180)):
        as_json = runner.invoke(main, ["report", "sla", "--json"])
        as_csv = runner.invoke(main, ["report", "sla", "--csv", "--from", "2026-06-15", "--to", "2026-06-16"])
        table = runner.invoke(main, ["report", "sla"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["totals"]["first_response"]["met"] == 1 and len(data["rows"]) == 3
    assert as_csv.exit_code == 0, as_csv.output
    parsed = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert {row["queue"] for row in parsed} == {"support", "'=billing"}  # no spreadsheet formulas
    assert {row["hit_rate"] for row in parsed} == {"0.5000", "1.0000", "0.0000"}
    assert table.exit_code == 0 and "hit rate" in table.output and "50.0%" in table.output


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "yesterday"],
        ["--from", "2026-06-15T10:00"],  # no offset
        ["--from", "2026-06-16", "--to", "2026-06-15"],
        ["--json", "--csv"],
    ],
)
def test_cli_report_sla_refuses_bad_options(runtime, args):
    result = CliRunner().invoke(main, ["report", "sla", *args])
    assert result.exit_code == 2


def test_cli_api_token_create_prints_it_once(db, runtime):
    from tests.support.factories import gen_agent

    gen_agent(db, "alice")
    db.commit()
    result = CliRunner().invoke(main, ["api-token", "create", "--user", "alice", "--name", "CRM sync", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["token"].startswith("cct_") and printed["user"] == "alice"
    from contactcenter.tickets.models import ApiToken

    stored = db.get(ApiToken, printed["id"])
    assert stored is not None and printed["token"] not in (stored.token_hash, stored.prefix)
    assert CliRunner().invoke(main, ["api-token", "create", "--user", "nobody", "--name", "x"]).exit_code == 2
    assert CliRunner().invoke(main, ["api-token", "revoke", str(printed["id"])]).exit_code == 0
