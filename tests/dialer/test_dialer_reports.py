"""Dialer figures per campaign over local days, and the regulatory period's abandon rate beside
them (the one compliance and the pacer count)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from freezegun import freeze_time

from contactcenter.dialer import campaigns
from contactcenter.dialer.ledger_records import abandonment_report
from contactcenter.dialer.reports import dialer_report
from tests.support.dialer import gen_attempt, gen_campaign

NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
DAY = date(2026, 6, 15)


def test_counts_dials_answers_connects_abandons_and_machines_in_the_range(db):
    with freeze_time(NOW - timedelta(days=2)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, NOW - timedelta(hours=1), answered=True, connected=True)
    gen_attempt(db, campaign, NOW - timedelta(hours=1), answered=True, abandoned=True)
    gen_attempt(db, campaign, NOW - timedelta(hours=1), machine=True)
    gen_attempt(db, campaign, NOW - timedelta(hours=1))
    gen_attempt(db, campaign, NOW - timedelta(days=1), answered=True, connected=True)  # the day before
    with freeze_time(NOW):
        [row] = dialer_report(db, DAY, DAY).rows
    assert (row.dials, row.live_answered, row.connects, row.abandoned, row.machines) == (4, 2, 1, 1, 1)
    assert row.connect_rate == 0.25 and row.abandon_rate == 0.5


def test_period_rate_is_the_compliance_ledgers(db):
    with freeze_time(NOW - timedelta(days=2)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, NOW - timedelta(days=1), answered=True, abandoned=True)  # same 30-day period
    for _ in range(3):
        gen_attempt(db, campaign, NOW - timedelta(hours=1), answered=True, connected=True)
    with freeze_time(NOW):
        [row] = dialer_report(db, DAY, DAY).rows
        ledger = abandonment_report(db, campaign, NOW)
    assert row.abandon_rate == 0.0  # nothing abandoned on the day itself
    assert row.period_abandon_rate == ledger["abandon_rate"] == 0.25 and row.over_cap


def test_period_is_taken_at_the_end_of_a_past_range(db):
    with freeze_time(NOW - timedelta(days=40)):
        campaign = gen_campaign(db, "Renewals")  # a US campaign: periods of 30 days
    gen_attempt(db, campaign, NOW - timedelta(days=35), answered=True, abandoned=True)
    gen_attempt(db, campaign, NOW - timedelta(hours=2), answered=True, connected=True)
    past = (NOW - timedelta(days=35)).date()
    with freeze_time(NOW):
        [then] = dialer_report(db, past, past).rows
        [today] = dialer_report(db, DAY, DAY).rows
    assert (then.period, then.period_abandon_rate) == (0, 1.0)
    assert (today.period, today.period_abandon_rate) == (1, 0.0)


def test_running_campaigns_show_without_dials_and_idle_ones_do_not(db):
    with freeze_time(NOW):
        gen_campaign(db, "Running")
        gen_campaign(db, "Draft", start=False)
        stopped = gen_campaign(db, "Stopped")
        campaigns.stop_campaign(db, stopped)
        report = dialer_report(db, DAY, DAY)
    assert [r.campaign for r in report.rows] == ["Running"] and report.rows[0].dials == 0


def test_days_are_cut_in_the_time_zone(db):
    with freeze_time(NOW - timedelta(days=2)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, datetime(2026, 6, 15, 2, 0, tzinfo=UTC))  # the 14th in New York
    with freeze_time(NOW):
        utc = dialer_report(db, DAY, DAY).rows[0].dials
        new_york = dialer_report(db, DAY, DAY, time_zone="America/New_York").rows[0].dials
    assert (utc, new_york) == (1, 0)


def test_csv_has_the_figures_and_makes_names_inert(db):
    with freeze_time(NOW - timedelta(days=2)):
        campaign = gen_campaign(db, "=SUM(A1)")
    gen_attempt(db, campaign, NOW - timedelta(hours=1), answered=True, connected=True)
    with freeze_time(NOW):
        text = dialer_report(db, DAY, DAY).to_csv()
    header, line = text.splitlines()
    assert header.startswith("campaign,rule_set,status,dials,live_answered,connects")
    assert line.startswith("'=SUM(A1),US,running,1,1,1,0,0,1.0,0.0,0,1,0,0.0,0.03")


def test_cli_prints_the_table_and_the_csv(db, runtime):
    from click.testing import CliRunner

    from contactcenter.app.cli import main

    with freeze_time(NOW - timedelta(days=2)):
        campaign = gen_campaign(db, "Renewals")
    gen_attempt(db, campaign, NOW - timedelta(hours=1), answered=True, abandoned=True)
    db.commit()
    with freeze_time(NOW):
        table = CliRunner().invoke(main, ["report", "dialer", "--from", "2026-06-15", "--to", "2026-06-15"])
        text = CliRunner().invoke(main, ["report", "dialer", "--from", "2026-06-15", "--to", "2026-06-15", "--csv"])
    assert table.exit_code == 0, table.output
    assert "Renewals" in table.output and "100.0%" in table.output and "over cap" in table.output
    with freeze_time(NOW):
        assert text.output == dialer_report(db, DAY, DAY).to_csv()
