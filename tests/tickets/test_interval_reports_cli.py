"""`contactcenter report intervals | agents | daily`: table, JSON, CSV and bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from contactcenter.app.cli import main
from tests.support.intervals import NOW, scenario  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("scenario")


def run(*args: str):  # type: ignore[no-untyped-def]
    with freeze_time(NOW):
        return CliRunner().invoke(main, ["report", *args])


def test_intervals_json_names_the_formula(runtime):
    result = run("intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--formula", "in-t-no-short", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["formula"] == "in-t-no-short"
    assert data["formula_label"] == "(answered_in_t + abandoned_in_t) / offered (short abandons excluded)"
    first = data["rows"][0]
    assert (first["queue"], first["start"], first["offered"], first["short_abandons"]) == (
        "support",
        "2026-06-15T10:00:00+00:00",
        6,
        1,
    )
    assert first["service_level"] == pytest.approx(0.6)


def test_intervals_csv_and_table(runtime):
    result = run("intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--queue", "support", "--csv")
    assert result.exit_code == 0, result.output
    comment, body = result.output.split("\n", 1)
    assert comment == "# service level: offered = answered_in_t / offered (short abandons included)"
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["start"], r["offered"], r["answered_in_t"], r["service_level"]) for r in rows] == [
        ("2026-06-15T10:00:00+00:00", "6", "2", "0.3333"),
        ("2026-06-15T10:15:00+00:00", "1", "1", "1.0"),
    ]
    table = run("intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--tz", "Europe/Paris", "--daily")
    assert table.exit_code == 0, table.output
    assert "service level: offered = answered_in_t / offered" in table.output
    assert "2026-06-15" in table.output and "support" in table.output


def test_agents_json_csv(runtime):
    result = run("agents", "--from", "2026-06-15", "--to", "2026-06-15", "--daily", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["agent"]: r for r in json.loads(result.output)["rows"]}
    assert rows["alice"]["occupancy"] == pytest.approx(0.1)
    assert rows["alice"]["state_s"]["wrap_up"] == 30
    as_csv = run("agents", "--from", "2026-06-15", "--to", "2026-06-15", "--agent", "alice", "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    parsed = list(csv.DictReader(io.StringIO(as_csv.output)))
    first = parsed[0]
    assert (first["agent"], first["start"], first["on_call_s"], first["break_s"]) == (
        "alice",
        "2026-06-15T09:45:00+00:00",
        "0.0",
        "0.0",
    )
    assert parsed[1]["occupancy"] == "0.1667"
    table = run("agents", "--from", "2026-06-15", "--to", "2026-06-15")
    assert table.exit_code == 0 and "occupancy" in table.output


def test_daily_json_and_csv(runtime):
    result = run("daily", "--from", "2026-06-15", "--to", "2026-06-15", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["csat"] == [{"day": "2026-06-15", "count": 2, "mean": 4.0}]
    assert [(c["flow"], c["entered"], c["contained"], c["rate"]) for c in data["containment"]] == [("main", 2, 1, 0.5)]
    as_csv = run("daily", "--from", "2026-06-15", "--to", "2026-06-15", "--csv")
    assert as_csv.output.splitlines() == [
        "day,kind,flow,count,contained,value",
        "2026-06-15,containment,main,2,1,0.5",
        "2026-06-15,csat,,2,,4.0",
    ]
    assert "CSAT" in run("daily", "--from", "2026-06-15", "--to", "2026-06-15").output


@pytest.mark.parametrize(
    "args, message",
    [
        (["intervals", "--from", "2026-13-01", "--to", "2026-06-15"], "is not a date"),
        (["intervals", "--from", "yesterday", "--to", "2026-06-15"], "is not a date"),
        (["intervals", "--from", "2026-06-15", "--to", "2026-06-14"], "--to must be on or after --from"),
        (["intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--formula", "best"], "unknown formula 'best'"),
        (["intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--queue", "nowhere"], "no queue named"),
        (["intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--json", "--csv"], "choose one of"),
        (["agents", "--from", "2026-06-15", "--to", "2026-06-15", "--agent", "nobody"], "no agent named"),
        (["agents", "--to", "2026-06-15"], "--from"),
        (["daily", "--from", "2026-06-15", "--to", "15/06/2026"], "is not a date"),
    ],
)
def test_bad_input_gives_a_clear_error(runtime, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
