"""The demo's outbound campaign: the pacer places calls at any hour and the simulated outbound
agents take them within the 2-second connect window, so the campaign page shows dials rising."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contactcenter.app.demo_data import OUTBOUND_CAMPAIGN, seed_outbound
from contactcenter.dialer.models import Campaign, Lead
from tests.support.demo_process import run_demo

pytestmark = pytest.mark.slow


def _attempts(folder: Path) -> tuple[int, int, int]:
    db = sqlite3.connect(folder / "var" / "contactcenter.db")
    placed, connected, abandoned = db.execute(
        "select count(placed_at), count(connected_at), coalesce(sum(abandoned), 0) from dialer_attempts"
    ).fetchone()
    return int(placed), int(connected), int(abandoned)


@pytest.mark.parametrize(
    "at",
    [
        None,  # now, whatever the hour
        "2026-12-07T09:30:00+00:00",  # 04:30 in New York: no US lead may be called
    ],
)
def test_the_demo_pacer_places_calls_that_agents_take(tmp_path: Path, at: str | None):
    output = run_demo(tmp_path, "--calls-per-minute", "0", "--duration", "45", at=at)
    assert f"campaign {OUTBOUND_CAMPAIGN!r}" in output
    placed, connected, abandoned = _attempts(tmp_path)
    assert placed >= 2 and connected >= 1 and abandoned == 0, (placed, connected, abandoned, output)


def test_the_outbound_seed_runs_once_and_starts_the_campaign(db):
    created = seed_outbound(db)
    assert created["campaign"] == 1 and created["leads"] > 100
    assert seed_outbound(db) == {}
    campaign = db.query(Campaign).one()
    assert campaign.status == "running" and campaign.dial_mode == "progressive"
    assert db.query(Lead).filter(Lead.campaign_id == campaign.id).count() == created["leads"]
