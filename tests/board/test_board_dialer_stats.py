"""The dialer's live figures on the board: dialed, answered, connected, abandon rates (window and
today), leads left and the current dial ratio, from the attempt records and the ACD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from contactcenter import clock
from contactcenter.acd.interfaces import AgentProfile
from contactcenter.board.dialer_stats import campaign_stats
from contactcenter.dialer import campaigns
from contactcenter.dialer.models import DialAttempt, Lead
from tests.support.factories import gen_agent

NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)  # 12:00 in New York


def _attempt(db, campaign, minutes_ago, *, answered=False, connected=False, abandoned=False, ended=True):  # type: ignore[no-untyped-def]
    placed = NOW - timedelta(minutes=minutes_ago)
    attempt = DialAttempt(
        campaign_id=campaign.id,
        phone="+12125550147",
        caller_id="+12025550100",
        mode="predictive",
        call_sid="CA" + format(abs(hash((campaign.id, minutes_ago))) % 16**32, "032x"),
        placed_at=placed,
        answered_at=placed + timedelta(seconds=10) if answered else None,
        connected_at=placed + timedelta(seconds=11) if connected else None,
        ended_at=placed + timedelta(seconds=60) if ended else None,
        abandoned=abandoned,
        outcome="abandoned" if abandoned else ("connected" if connected else None),
    )
    db.add(attempt)
    db.flush()
    return attempt


def gen_campaign(db, name, *, start=True):  # type: ignore[no-untyped-def]
    campaign = campaigns.create_campaign(
        db,
        name=name,
        caller_id="+12025550100",
        company_name="Acme Energy",
        callback_number="+18005550123",
        dial_mode="predictive",
    )
    return campaigns.start_campaign(db, campaign) if start else campaign


@pytest.fixture
def campaign(db, runtime):  # type: ignore[no-untyped-def]
    with freeze_time(NOW):
        campaign = gen_campaign(db, "Renewals")
        campaign.started_at = NOW - timedelta(hours=3)
        alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
        campaigns.set_agents(db, campaign, [alice.id, bob.id])
        for agent in (alice, bob):
            runtime.acd.upsert_agent(AgentProfile(str(agent.id)))
        runtime.acd.set_state(str(alice.id), "available", now=NOW.timestamp())
        runtime.acd.set_state(str(bob.id), "break", "lunch", now=NOW.timestamp())
        _attempt(db, campaign, 30, answered=True, connected=True)
        _attempt(db, campaign, 25, answered=True, abandoned=True)
        _attempt(db, campaign, 20)  # no answer
        _attempt(db, campaign, 1, ended=False)  # ringing now
        _attempt(db, campaign, 60 * 20, answered=True, connected=True)  # yesterday (New York)
        for i, status in enumerate(("ready", "ready", "done")):
            db.add(Lead(campaign_id=campaign.id, phone=f"+1212555{i:04d}", status=status))
        db.flush()
    return campaign


def _stats(db, runtime):  # type: ignore[no-untyped-def]
    with freeze_time(NOW):
        [row] = campaign_stats(db, runtime.acd.agents(now=NOW.timestamp()), clock.now())
    return row


def test_counts_today_in_the_campaign_zone(db, runtime, campaign):
    row = _stats(db, runtime)
    assert (row["dialed"], row["answered"], row["connected"], row["abandoned"]) == (4, 2, 1, 1)


def test_abandon_rates_today_and_over_the_period(db, runtime, campaign):
    row = _stats(db, runtime)
    assert row["abandon_rate_today"] == 0.5
    assert row["abandon_rate_window"] == 0.5  # period since the start: same two live answers
    assert row["abandon_cap"] == 0.03 and row["rule_set"] == "US"


def test_leads_left_are_the_ready_ones(db, runtime, campaign):
    assert _stats(db, runtime)["leads_left"] == 2


def test_dial_ratio_is_calls_in_flight_per_active_agent(db, runtime, campaign):
    row = _stats(db, runtime)
    assert (row["in_flight"], row["active_agents"], row["dial_ratio"]) == (1, 1, 1.0)


def test_no_active_agent_no_ratio(db, runtime, campaign):
    for agent in runtime.acd.agents():
        runtime.acd.set_state(agent.agent_id, "offline", now=NOW.timestamp())
    assert _stats(db, runtime)["dial_ratio"] is None


def test_draft_campaigns_are_not_shown(db, runtime):
    with freeze_time(NOW):
        gen_campaign(db, "Not yet", start=False)
        assert campaign_stats(db, [], clock.now()) == []
