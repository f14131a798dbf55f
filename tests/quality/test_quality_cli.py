"""`contactcenter quality report`: the report's figures as a table, JSON or the page's CSV, weeks
cut in the centre's time zone, and bad input refused with the flag it concerns."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.acd.models import Queue
from contactcenter.app.commands.quality import quality
from tests.support.quality import gen_evaluation, make_quality_floor

JUNE = ("--from", "2026-06-01", "--to", "2026-06-30")


@pytest.fixture
def evaluated(db, runtime):  # type: ignore[no-untyped-def]
    """One evaluation of alice, late on Sunday 14 June in UTC: Monday morning in Paris, where the
    centre's queue keeps its hours."""
    with freeze_time(datetime(2026, 6, 14, 23, 30, tzinfo=UTC)):
        floor = make_quality_floor(db)
        db.scalars(select(Queue)).one().time_zone = "Europe/Paris"
        gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
    db.commit()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(quality, ["report", *args])


def test_the_csv_is_the_report_pages_download(evaluated):
    done = _run(*JUNE, "--csv")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "group,name,week_starting,evaluations,average_score,auto_fails",
        "agent,Alice Agent,2026-06-15,1,100.0,0",
        "queue,Support,2026-06-15,1,100.0,0",
    ]


def test_the_json_names_the_time_zone_it_was_cut_in(evaluated):
    body = json.loads(_run(*JUNE, "--json").output)
    assert body["time_zone"] == "Europe/Paris" and body["weeks"][0] == "2026-06-01"


def test_another_time_zone_can_be_asked_for(evaluated):
    body = json.loads(_run(*JUNE, "--tz", "UTC", "--json").output)
    assert [r["week_starting"] for r in body["by_agent"]] == ["2026-06-08"]


def test_the_table_reads_as_a_report(evaluated):
    out = _run(*JUNE).output
    assert "(Europe/Paris, weeks start Monday): 1 evaluations" in out and "Alice Agent" in out


def test_a_bad_date_names_its_flag(evaluated):
    done = _run("--from", "2026-06-31", "--to", "2026-07-01")
    assert done.exit_code == 2 and "--from" in done.output and "a date as YYYY-MM-DD" in done.output


def test_an_oversized_range_is_refused(evaluated):
    done = _run("--from", "2020-01-01", "--to", "2026-06-30")
    assert done.exit_code == 2 and "366 days" in done.output


def test_a_hostile_agent_name_matches_nobody(evaluated):
    done = _run(*JUNE, "--agent", "alice' OR '1'='1")
    assert done.exit_code == 2 and "nobody has this username" in done.output


def test_an_unknown_time_zone_is_refused(evaluated):
    done = _run(*JUNE, "--tz", "Europe/Atlantis")
    assert done.exit_code == 2 and "unknown time zone" in done.output


def test_json_and_csv_together_are_refused(evaluated):
    assert _run(*JUNE, "--json", "--csv").exit_code == 2
