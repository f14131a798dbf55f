"""A breach stays a breach, and a ticket solved without any agent reply has an unanswered first
response: the clocks, the `TicketSla` rows, the API view, `report sla` and its CLI agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.app.cli import main
from contactcenter.tickets import escalation, sla
from contactcenter.tickets.models import TicketSla
from contactcenter.tickets.reports import sla_hit_rates
from contactcenter.tickets.services import add_comment, change_status, open_ticket, update_ticket

T0 = datetime(2026, 6, 15, 8, tzinfo=UTC)
HOUR = 3600


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def first_response(db, ticket) -> TicketSla:  # type: ignore[no-untyped-def]
    return db.scalar(select(TicketSla).where(TicketSla.ticket_id == ticket.id, TicketSla.metric == "first_response"))


def first_view(db, ticket, when):  # type: ignore[no-untyped-def]
    return next(v for v in sla.clocks(db, ticket, when) if v.metric == "first_response")


@pytest.fixture
def two_tier(db):  # type: ignore[no-untyped-def]
    """Normal tickets: first response in 1 h, raised one step on breach; a catch-all 8 h policy
    takes over once the priority is high."""
    standard = sla.create_policy(
        db,
        "Standard",
        position=1,
        priorities=["low", "normal"],
        on_breach_raise_priority=True,
        targets={"first_response": HOUR, "resolution": 8 * HOUR},
    )
    sla.create_policy(db, "Catch-all", position=2, targets={"first_response": 8 * HOUR, "resolution": 24 * HOUR})
    return standard


def test_escalation_raising_priority_keeps_the_breach_of_a_late_reply(db, two_tier):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        frozen.move_to(at(60))
        [breach] = escalation.process_due(db)
        assert breach.event == "sla.breached" and ticket.priority == "high"
        frozen.move_to(at(60.5))
        add_comment(db, ticket, "Sorry for the wait", public=True)  # 30 s late
    row = first_response(db, ticket)
    assert (row.target_s, row.policy_id, row.deadline_at) == (HOUR, two_tier.id, at(60))
    assert first_view(db, ticket, at(90)).status == "breached"
    totals = sla_hit_rates(db, now=at(90)).totals()
    assert totals["first_response"]["met"] == 0 and totals["first_response"]["breached"] == 1


def test_a_longer_target_after_the_breach_does_not_erase_it(db, two_tier):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Invoice wrong")
        frozen.move_to(at(75))  # breached at 1:00, nobody escalated yet
        update_ticket(db, ticket, {"priority": "urgent"})  # the catch-all's 8 h would apply now
        frozen.move_to(at(80))
        add_comment(db, ticket, "Looking into it", public=True)
    assert first_view(db, ticket, at(90)).status == "breached"
    assert first_response(db, ticket).deadline_at == at(60)


def test_a_priority_change_before_the_breach_still_moves_the_target(db, two_tier):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Question")
        frozen.move_to(at(30))
        update_ticket(db, ticket, {"priority": "high"})  # catch-all: 8 h from the start
        frozen.move_to(at(90))
        add_comment(db, ticket, "Here is the answer", public=True)
    view = first_view(db, ticket, at(120))
    assert (view.status, view.target_s) == ("met", 8 * HOUR)


def test_a_policy_that_no_longer_matches_keeps_the_breached_clock(db):
    sla.create_policy(db, "Normal only", priorities=["normal"], targets={"first_response": HOUR})
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Printer on fire")
        frozen.move_to(at(65))
        update_ticket(db, ticket, {"priority": "low"})  # no policy at all for low tickets
    view = first_view(db, ticket, at(70))
    assert (view.status, view.target_s) == ("breached", HOUR)
    assert first_response(db, ticket) is not None


# -- solved without a reply ----------------------------------------------------------------------


@pytest.fixture
def standard(db):  # type: ignore[no-untyped-def]
    return sla.create_policy(db, "Standard", targets={"first_response": HOUR, "resolution": 4 * HOUR})


def test_solved_before_the_target_without_a_reply_is_unanswered_not_met(db, standard):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Spam")
        change_status(db, ticket, "open")
        frozen.move_to(at(20))
        change_status(db, ticket, "solved")
    assert first_view(db, ticket, at(30)).status == "unanswered"
    totals = sla_hit_rates(db, now=at(30)).totals()["first_response"]
    assert (totals["met"], totals["breached"], totals["unanswered"]) == (0, 0, 1)
    assert totals["hit_rate"] is None


def test_solved_after_the_target_without_a_reply_is_breached(db, standard):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Forgotten")
        change_status(db, ticket, "open")
        frozen.move_to(at(90))
        change_status(db, ticket, "solved")
    assert first_view(db, ticket, at(100)).status == "breached"
    totals = sla_hit_rates(db, now=at(100)).totals()["first_response"]
    assert (totals["met"], totals["breached"], totals["unanswered"]) == (0, 1, 0)


def test_a_reply_then_solve_is_still_met(db, standard):
    with freeze_time(at(0)) as frozen:
        ticket = open_ticket(db, "Password reset")
        change_status(db, ticket, "open")
        frozen.move_to(at(10))
        add_comment(db, ticket, "Done", public=True)
        frozen.move_to(at(20))
        change_status(db, ticket, "solved")
    assert first_view(db, ticket, at(30)).status == "met"
    assert sla_hit_rates(db, now=at(30)).totals()["first_response"]["unanswered"] == 0


def test_cli_report_sla_shows_unanswered_first_responses(db, runtime, standard):
    with freeze_time(at(0)) as frozen:
        answered = open_ticket(db, "Answered")
        silent = open_ticket(db, "Solved silently")
        change_status(db, silent, "open")
        frozen.move_to(at(10))
        add_comment(db, answered, "Hello", public=True)
        change_status(db, silent, "solved")
    db.commit()
    runner = CliRunner()
    with freeze_time(at(30)):
        as_json = runner.invoke(main, ["report", "sla", "--json"])
        as_csv = runner.invoke(main, ["report", "sla", "--csv"])
        table = runner.invoke(main, ["report", "sla"])
    assert as_json.exit_code == 0, as_json.output
    [row] = [r for r in json.loads(as_json.output)["rows"] if r["metric"] == "first_response"]
    assert (row["met"], row["breached"], row["unanswered"], row["hit_rate"]) == (1, 0, 1, 1.0)
    assert as_csv.exit_code == 0 and as_csv.output.splitlines()[0].endswith("met,breached,unanswered,hit_rate")
    assert table.exit_code == 0, table.output
    assert "unanswered" in table.output
    assert "total first_response: 1 met, 0 breached, 1 unanswered, 100.0%" in table.output
