"""`contactcenter campaigns …` and `contactcenter dnc …` as an operator uses them, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.app.cli import main
from contactcenter.dialer import dnc
from contactcenter.dialer.models import Campaign, CampaignStatus, DncEntry
from tests.support.dialer import gen_campaign, gen_lead

HOSTILE = ("'; DROP TABLE x; --", "<script>alert(1)</script>")


def run(*args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=answer)


def dnc_rows(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(DncEntry)) or 0)


def campaign_rows(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Campaign)) or 0)


CREATE = (
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


def test_create_then_list(runtime, db):
    created = run(*CREATE, "--json")
    assert created.exit_code == 0, created.output
    row = json.loads(created.output)
    assert (row["name"], row["mode"], row["status"], row["caller_id"]) == (
        "Winter offers",
        "progressive",
        "draft",
        "+12025550100",
    )
    campaign = db.get(Campaign, row["id"])
    assert campaign is not None and campaign.callback_number == "+18005550123"
    gen_lead(db, campaign, "+12125551000")
    db.commit()
    listed = run("campaigns", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [(r["name"], r["leads"]) for r in json.loads(listed.output)] == [("Winter offers", {"ready": 1})]
    table = run("campaigns", "list")
    assert table.exit_code == 0 and "Winter offers" in table.output and "ready 1" in table.output


def test_create_with_uk_rules_and_a_queue(runtime, db):
    from contactcenter.acd.models import Queue

    db.add(Queue(name="sales", display_name="Sales"))
    db.commit()
    args = ["--rules", "UK", "--queue", "sales", "--caller-id", "020 7946 0000", "--callback-number", "020 7946 0001"]
    created = run(*CREATE[:3], "UK list", *CREATE[4:], *args, "--json")
    assert created.exit_code == 0, created.output
    row = json.loads(created.output)
    assert (row["rules"], row["queue"], row["caller_id"]) == ("UK", "sales", "+442079460000")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--caller-id", "not a number"), "caller ID"),
        (("--caller-id", HOSTILE[0]), "caller ID"),
        (("--queue", "nowhere"), "no queue named"),
        (("--name", "bad\x00name"), "control characters"),
        (("--time-zone", "Mars/Olympus"), "unknown time zone"),
        (("--abandon-cap", "0.5"), "--abandon-cap"),
    ],
)
def test_create_refuses_bad_settings_and_writes_nothing(runtime, db, extra, message):
    result = run(*CREATE, *extra)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert campaign_rows(db) == 0


def test_create_refuses_a_name_in_use(runtime, db):
    gen_campaign(db, "Winter offers", start=False)
    db.commit()
    result = run(*CREATE)
    assert result.exit_code == 2 and "already exists" in result.output
    assert campaign_rows(db) == 1


def test_start_pause_stop_by_name_or_id(runtime, db):
    campaign = gen_campaign(db, "Lifecycle", start=False)
    db.commit()
    started = run("campaigns", "start", "Lifecycle")
    assert started.exit_code == 0 and "is running" in started.output, started.output
    paused = run("campaigns", "pause", str(campaign.id))
    assert paused.exit_code == 0 and "is paused" in paused.output, paused.output
    again = run("campaigns", "pause", "Lifecycle")
    assert again.exit_code == 1 and "only a running campaign can pause" in again.output
    stopped = run("campaigns", "stop", "Lifecycle", "--yes")
    assert stopped.exit_code == 0 and "is stopped" in stopped.output, stopped.output
    db.refresh(campaign)
    assert campaign.status == CampaignStatus.STOPPED.value
    restart = run("campaigns", "start", "Lifecycle")
    assert restart.exit_code == 1 and "cannot start again" in restart.output


def test_stop_asks_first_and_no_keeps_the_campaign_running(runtime, db):
    campaign = gen_campaign(db, "Keep me")
    db.commit()
    refused = run("campaigns", "stop", "Keep me", answer="n\n")
    assert refused.exit_code != 0 and "Aborted" in refused.output
    db.refresh(campaign)
    assert campaign.status == CampaignStatus.RUNNING.value
    confirmed = run("campaigns", "stop", "Keep me", answer="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    db.refresh(campaign)
    assert campaign.status == CampaignStatus.STOPPED.value


@pytest.mark.parametrize("ref", ["nope", "999999", *HOSTILE])
def test_unknown_campaigns_are_a_clear_error(runtime, db, ref):
    for verb in ("start", "pause"):
        result = run("campaigns", verb, ref)
        assert result.exit_code == 2 and "no campaign named" in result.output
    result = run("dnc", "add", "+12025550143", "--campaign", ref)
    assert result.exit_code == 2 and "no campaign named" in result.output
    assert dnc_rows(db) == 0


def test_dnc_add_check_remove_in_any_format(runtime, db):
    added = run("dnc", "add", "(202) 555-0143", "--reason", "asked on the phone <b>twice</b>")
    assert added.exit_code == 0 and "+12025550143 is on the internal list" in added.output, added.output
    hit = dnc.check(db, "+12025550143", None)
    assert hit is not None and hit.reason == "asked on the phone <b>twice</b>"  # stored as data
    blocked = run("dnc", "check", "202.555.0143")
    assert blocked.exit_code == 1
    assert "is blocked: on the internal list (source manual, reason: asked on the phone" in blocked.output
    removed = run("dnc", "remove", "+1 202 555 0143")
    assert removed.exit_code == 0 and "removed from the internal list" in removed.output
    free = run("dnc", "check", "2025550143")
    assert free.exit_code == 0 and "is not blocked" in free.output
    absent = run("dnc", "remove", "2025550143")
    assert absent.exit_code == 0 and "was not on" in absent.output


def test_dnc_per_campaign_list(runtime, db):
    gen_campaign(db, "Spring renewals")
    gen_campaign(db, "Other", start=False)
    db.commit()
    assert run("dnc", "add", "2025550143", "--campaign", "Spring renewals").exit_code == 0
    blocked = run("dnc", "check", "2025550143", "--campaign", "Spring renewals")
    assert blocked.exit_code == 1 and "on the campaign's list" in blocked.output
    assert run("dnc", "check", "2025550143", "--campaign", "Other").exit_code == 0
    assert run("dnc", "check", "2025550143").exit_code == 0
    removed = run("dnc", "remove", "2025550143", "--campaign", "Spring renewals")
    assert removed.exit_code == 0 and "removed from campaign 'Spring renewals'" in removed.output


@pytest.mark.parametrize("number", ["12", "not a number", *HOSTILE, "+1202555014" + "3" * 200])
def test_dnc_bad_numbers_are_refused(runtime, db, number):
    for verb in ("add", "remove", "check"):
        result = run("dnc", verb, number)
        assert result.exit_code == 2, (verb, result.output)
        assert "Invalid value for 'NUMBER'" in result.output and "Traceback" not in result.output
    assert dnc_rows(db) == 0


def test_dnc_reason_with_control_characters_is_refused(runtime, db):
    result = run("dnc", "add", "2025550143", "--reason", "line\x1bbreak")
    assert result.exit_code == 2 and "control characters" in result.output
    too_long = run("dnc", "add", "2025550143", "--reason", "x" * 256)
    assert too_long.exit_code == 2 and "at most 255" in too_long.output
    assert dnc_rows(db) == 0


def test_dnc_import_reports_every_row(runtime, db, tmp_path: Path):
    dnc.add(db, "+13125550178")
    db.commit()
    path = tmp_path / "dnc.csv"
    path.write_text(
        "name,phone\n"
        "Ada,(202) 555-0143\n"
        "Alan,+1 312 555 0178\n"
        "Ada again,202-555-0143\n"
        f'Mallory,"{HOSTILE[0]}"\n'
        "\n"
        "Grace,+12125551000\n",
        encoding="utf-8",
    )
    result = run("dnc", "import", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["rows"], report["imported"], report["already_listed"], report["duplicates_in_file"]) == (
        5,
        2,
        1,
        1,
    )
    assert [(r["line"], r["value"]) for r in report["rejected"]] == [(5, HOSTILE[0])]
    assert dnc.check(db, "+12125551000", None) is not None
    assert dnc_rows(db) == 3
    human = run("dnc", "import", str(path))
    assert human.exit_code == 0, human.output
    assert "imported: 0" in human.output and "already listed: 3" in human.output and "line 5:" in human.output


def test_dnc_import_without_header_into_a_campaign(runtime, db, tmp_path: Path):
    campaign = gen_campaign(db, "Spring renewals")
    db.commit()
    path = tmp_path / "plain.csv"
    path.write_text("2025550143\n3125550178\n", encoding="utf-8")
    result = run("dnc", "import", str(path), "--campaign", str(campaign.id), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["imported"] == 2
    assert dnc.check(db, "+13125550178", campaign.id) is not None
    assert dnc.check(db, "+13125550178", None) is None


def test_dnc_import_refuses_files_it_cannot_read(runtime, db, tmp_path: Path, monkeypatch):
    from contactcenter.dialer import dnc_import

    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run("dnc", "import", str(binary))
    assert result.exit_code == 2 and "not a text file" in result.output
    missing = run("dnc", "import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    big = tmp_path / "big.csv"
    big.write_text("phone\n" + "+12025550143\n" * 100, encoding="utf-8")
    monkeypatch.setattr(dnc_import, "MAX_FILE_BYTES", 100)
    oversized = run("dnc", "import", str(big))
    assert oversized.exit_code == 2 and "at most 100 are accepted" in oversized.output
    monkeypatch.setattr(dnc_import, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(dnc_import, "MAX_ROWS", 10)
    too_many = run("dnc", "import", str(big))
    assert too_many.exit_code == 2 and "more than 10 rows" in too_many.output
    unknown = run("dnc", "import", str(big), "--campaign", "<b>nope</b>")
    assert unknown.exit_code == 2 and "no campaign named" in unknown.output
    assert dnc_rows(db) == 0
