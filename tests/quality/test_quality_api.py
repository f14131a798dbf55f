"""/api/quality/report and /api/quality/evaluations: the report's figures for supervisors and
admins, weeks cut in the centre's time zone, an agent's own evaluations only, and clear 400s for
bad dates, hostile strings and oversized ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.acd.models import Queue
from contactcenter.tickets.api_tokens import issue
from tests.support.factories import gen_call
from tests.support.quality import gen_evaluation, make_quality_floor
from tests.support.recordings import gen_recording

# Sunday 14 June 2026, 23:30 UTC: already Monday 15 June (01:30) in Paris.
SUNDAY_NIGHT_UTC = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
RANGE = {"from": "2026-06-01", "to": "2026-06-30"}


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    """alice's recorded call was evaluated twice by sam (100 and an auto-fail), late on a Sunday
    in UTC, which is Monday morning for the centre (its queue keeps Paris hours); bob took another
    call, evaluated by ann."""
    with freeze_time(SUNDAY_NIGHT_UTC):
        floor = make_quality_floor(db)
        db.scalars(select(Queue)).one().time_zone = "Europe/Paris"
        gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "yes", "5")
        gen_evaluation(db, floor.call, floor.form, floor["sam"], "yes", "no", "5")
        other = gen_call(db, agent_id=floor["bob"].id, queue_id=floor.call.queue_id)
        gen_recording(db, other, seconds=6)
        gen_evaluation(db, other, floor.form, floor["ann"], "yes", "yes", "0")
    tokens = {name: issue(db, floor[name], f"{name} reports").secret for name in ("alice", "bob", "sam", "ann")}
    db.commit()
    return tokens


def _get(client, office, path, as_="sam", **args):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {office[as_]}"} if as_ else {}
    return client.get(path, query_string={**RANGE, **args}, headers=headers)


def _error(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_json()["error"]["message"]


def test_the_report_cuts_weeks_in_the_centres_time_zone(client, office):
    body = _get(client, office, "/api/quality/report").get_json()
    assert body["time_zone"] == "Europe/Paris"
    alice = next(r for r in body["by_agent"] if r["name"] == "Alice Agent")
    assert (alice["week_starting"], alice["evaluations"], alice["average_score"], alice["auto_fails"]) == (
        "2026-06-15",
        2,
        50.0,
        1,
    )


def test_the_report_filters_by_agent(client, office):
    body = _get(client, office, "/api/quality/report", agent="bob").get_json()
    assert [r["name"] for r in body["by_agent"]] == ["Bob Agent"] and body["evaluations"] == 1


def test_the_report_as_csv_is_the_pages_csv(client, office):
    resp = _get(client, office, "/api/quality/report", format="csv")
    lines = resp.get_data(as_text=True).splitlines()
    assert resp.mimetype == "text/csv" and lines[0] == "group,name,week_starting,evaluations,average_score,auto_fails"
    assert "agent,Alice Agent,2026-06-15,2,50.0,1" in lines


def test_an_agent_gets_no_report(client, office):
    assert _get(client, office, "/api/quality/report", as_="alice").status_code == 403


def test_nobody_without_a_token_gets_the_report(client, office):
    assert _get(client, office, "/api/quality/report", as_=None).status_code == 401


@pytest.mark.parametrize("bad", ["2026-02-30", "next monday", "<script>alert(1)</script>", "' OR 1=1 --"])
def test_a_bad_date_is_refused_clearly(client, office, bad):
    resp = _get(client, office, "/api/quality/report", **{"from": bad})
    assert resp.status_code == 400 and _error(resp) == "from: a date as YYYY-MM-DD"


@pytest.mark.parametrize("hostile", ["support'; DROP TABLE evaluations; --", "<img src=x onerror=alert(1)>"])
def test_a_hostile_queue_name_matches_no_queue(client, office, hostile):
    resp = _get(client, office, "/api/quality/report", queue=hostile)
    assert resp.status_code == 400 and _error(resp) == "queue: no queue has this name"
    assert "<img" not in resp.get_data(as_text=True)


def test_a_range_over_a_year_is_refused(client, office):
    resp = _get(client, office, "/api/quality/report", **{"from": "2024-01-01", "to": "2026-01-01"})
    assert resp.status_code == 400 and "366 days" in _error(resp)


def test_a_range_that_ends_before_it_starts_is_refused(client, office):
    resp = _get(client, office, "/api/quality/report", **{"from": "2026-06-30", "to": "2026-06-01"})
    assert resp.status_code == 400 and "ends before it starts" in _error(resp)


def test_an_oversized_value_is_refused(client, office):
    resp = _get(client, office, "/api/quality/report", agent="a" * 5000)
    assert resp.status_code == 400 and "longer than" in _error(resp)


def test_an_unknown_parameter_is_refused(client, office):
    assert _get(client, office, "/api/quality/report", week_start="sunday").status_code == 400


def test_a_supervisor_lists_every_evaluation_newest_first(client, office):
    items = _get(client, office, "/api/quality/evaluations").get_json()["items"]
    assert sorted(i["agent"] for i in items) == ["alice", "alice", "bob"]
    assert items[0]["submitted_at"] >= items[-1]["submitted_at"]


def test_an_agent_lists_only_their_own_evaluations(client, office):
    items = _get(client, office, "/api/quality/evaluations", as_="bob").get_json()["items"]
    assert [(i["agent"], i["evaluator"]) for i in items] == [("bob", "ann")]


def test_an_agent_may_not_ask_for_anothers_evaluations(client, office):
    resp = _get(client, office, "/api/quality/evaluations", as_="bob", agent="alice")
    assert resp.status_code == 403 and "their own" in _error(resp)


def test_the_list_is_limited(client, office):
    items = _get(client, office, "/api/quality/evaluations", limit="1").get_json()["items"]
    assert len(items) == 1


def test_an_oversized_limit_is_refused(client, office):
    assert _get(client, office, "/api/quality/evaluations", limit="100000").status_code == 400
