"""`contactcenter campaigns create` with calling hours, regions, retries, dispositions and the
rest of a campaign's settings, and `campaigns clone`; the rule set decides what is accepted."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.app.cli import main
from contactcenter.dialer.models import Campaign
from tests.support.dialer import gen_campaign

BASE = (
    "campaigns",
    "create",
    "--name",
    "Winter offers",
    "--caller-id",
    "(202) 555-0100",
    "--mode",
    "progressive",
    "--company-name",
    "Acme Energy",
    "--callback-number",
    "800-555-0123",
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def rows(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Campaign)) or 0)


def test_create_takes_every_setting(runtime, db):
    result = run(
        *BASE,
        "--calling-hours",
        "09:00-20:00",
        "--days",
        "mon,tue,wed",
        "--holidays",
        "2026-12-25",
        "--regions",
        "US,+44",
        "--no-amd",
        "--retry",
        "busy=10",
        "--retry",
        "no-answer=90",
        "--disposition",
        "sale | Sale | final",
        "--disposition",
        "later | Call later | retry 30",
        "--disposition",
        "stop | Stop calling | dnc campaign",
        "--script",
        "Hello {name}",
        "--max-dial-ratio",
        "2",
    )
    assert result.exit_code == 0, result.output
    made = db.scalars(select(Campaign)).one()
    assert made.calling_window == {
        "start": "09:00",
        "end": "20:00",
        "days": ["mon", "tue", "wed"],
        "holidays": ["2026-12-25"],
    }
    assert made.allowed_regions == ["US", "+44"] and made.amd_enabled is False and made.max_dial_ratio == 2
    assert made.retry_delays["busy"] == 600 and made.retry_delays["no-answer"] == 5400
    assert made.dispositions[1] == {"code": "later", "label": "Call later", "final": False, "retry_after_s": 1800}
    assert made.dispositions[2]["dnc"] == "campaign" and made.script == "Hello {name}"


def test_hours_outside_the_rules_are_refused_and_nothing_is_written(runtime, db):
    result = run(*BASE, "--calling-hours", "07:00-20:00")
    assert result.exit_code == 1 and "08:00-21:00" in result.output
    assert rows(db) == 0


def test_malformed_options_are_usage_errors(runtime, db):
    for option, value in (
        ("--calling-hours", "9-5"),
        ("--days", "funday"),
        ("--retry", "soon=5"),
        ("--disposition", "<script>alert(1)</script> | x"),
    ):
        result = run(*BASE, option, value)
        assert result.exit_code == 2 and option in result.output, (option, result.output)
    assert rows(db) == 0


def test_clone_makes_a_new_draft_from_a_stopped_campaign(runtime, db):
    source = gen_campaign(db, "Autumn", ring_timeout_s=40)
    source.status = "stopped"
    db.commit()
    result = run("campaigns", "clone", "Autumn", "--name", "Autumn again")
    assert result.exit_code == 0, result.output
    db.expire_all()
    clone = db.scalars(select(Campaign).where(Campaign.name == "Autumn again")).one()
    assert clone.status == "draft" and clone.ring_timeout_s == 40
    assert run("campaigns", "clone", "Autumn", "--name", "Autumn again").exit_code == 1
