"""CSV lead import: every row imported or rejected with its reason, hostile input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter.dialer import dnc
from contactcenter.dialer.leads_import import (
    MAX_FIELD_CHARS,
    MAX_RECORD_CHARS,
    LeadImportError,
    import_bytes,
    rejections_csv,
)
from contactcenter.dialer.models import Lead, LeadImport, LeadImportRejection
from tests.support.dialer import gen_campaign, import_text
from tests.support.factories import gen_customer


def rejections(db, report):
    rows = db.scalars(
        select(LeadImportRejection)
        .where(LeadImportRejection.import_id == report.import_id)
        .order_by(LeadImportRejection.line)
    )
    return [(r.line, r.reason) for r in rows]


def leads_of(db, campaign):
    return {lead.phone: lead for lead in db.scalars(select(Lead).where(Lead.campaign_id == campaign.id))}


def test_a_clean_file_imports_with_zones_regions_and_attributes(db):
    campaign = gen_campaign(db)
    customer = gen_customer(db, "Grace Hopper", ("+12125550147",))
    report = import_text(
        db,
        campaign,
        (
            "Phone,First Name,Last Name,State,Priority,Plan\n"
            "(212) 555-0147,Grace,Hopper,NY,5,gold\n"
            "415-555-0147,Alan,Turing,,,\n"
            "+1 602 555 0147,Ada,Lovelace,AZ,x,silver\n"
        ),
    )
    assert (report.total_rows, report.imported, report.rejected) == (3, 3, 0)
    assert report.accounted and report.warnings == {"bad_priority": 1}
    leads = leads_of(db, campaign)
    grace = leads["+12125550147"]
    assert grace.name == "Grace Hopper" and grace.priority == 5 and grace.region == "US-NY"
    assert grace.time_zones == ["America/New_York"] and grace.time_zone_source == "number"
    assert grace.attributes == {"plan": "gold"} and grace.customer_id == customer.id and grace.line == 2
    assert leads["+14155550147"].time_zones == ["America/Los_Angeles"]
    record = db.get(LeadImport, report.import_id)
    assert (record.status, record.rows_total, record.rows_imported) == ("done", 3, 3)


def test_every_problem_row_is_reported_with_its_reason_and_nothing_is_lost(db):
    campaign = gen_campaign(db)
    other = gen_campaign(db, "Other")
    dnc.add(db, "+13125550147")  # internal list
    dnc.add(db, "+13125550148", campaign_id=campaign.id)
    dnc.add(db, "+13125550149", campaign_id=other.id)  # not this campaign's
    import_text(db, campaign, "phone\n+12125550199\n")
    text = (
        "phone,name,timezone\n"
        "+12125550147,Good One,\n"  # 2
        "not a number,Bad Number,\n"  # 3
        ",No Number,\n"  # 4
        "212-555-0147,Duplicate In File,\n"  # 5
        "+12125550199,Already A Lead,\n"  # 6
        "+13125550147,On Internal DNC,\n"  # 7
        "+13125550148,On Campaign DNC,\n"  # 8
        "+13125550149,Other Campaigns DNC,\n"  # 9
        "+442071838750,In London,\n"  # 10
        "+12125550150,Bad Zone,Mars/Olympus\n"  # 11
        "+12125550151,Own Zone,America/Chicago\n"  # 12
        "+12125550152,Too,Many,Fields\n"  # 13
        "+12125550153,Trailing empties,,,\n"  # 14
        "+1212555015,Too short,\n"  # 15
    )
    report = import_text(db, campaign, text)
    assert report.total_rows == 14 and report.accounted
    assert rejections(db, report) == [
        (3, "bad_number"),
        (4, "missing_phone"),
        (5, "duplicate_in_file"),
        (6, "duplicate_in_campaign"),
        (7, "dnc"),
        (8, "dnc"),
        (10, "outside_region"),
        (11, "bad_time_zone"),
        (13, "too_many_fields"),
        (15, "bad_number"),
    ]
    leads = leads_of(db, campaign)
    assert {"+12125550147", "+13125550149", "+12125550151", "+12125550153"} <= set(leads)
    own = leads["+12125550151"]
    assert own.time_zones == ["America/Chicago"] and own.time_zone_source == "lead"
    assert report.by_reason["dnc"] == 2
    raw = db.scalars(select(LeadImportRejection.raw).where(LeadImportRejection.line == 13)).one()
    assert raw.strip() == "+12125550152,Too,Many,Fields"


@pytest.mark.parametrize(
    "name",
    [
        "Robert'); DROP TABLE dialer_leads;--",
        "<script>alert('x')</script>",
        '"><img src=x onerror=alert(1)>',
        '=HYPERLINK("http://evil","click")',
        "O'Brien \u202e\u200b Zoë 李",
    ],
)
def test_hostile_names_are_stored_as_data(db, name):
    campaign = gen_campaign(db)
    quoted = '"' + name.replace('"', '""') + '"'
    report = import_text(db, campaign, f"phone,name\n+12125550147,{quoted}\n")
    assert report.imported == 1
    lead = leads_of(db, campaign)["+12125550147"]
    assert lead.name == name.strip()
    assert db.scalar(select(Lead.id).where(Lead.campaign_id == campaign.id)) == lead.id  # the table is still there


def test_malformed_and_oversized_input_is_reported_not_dropped(db):
    campaign = gen_campaign(db)
    huge_field = "x" * (MAX_FIELD_CHARS + 1)
    huge_line = "+12125550160," + "y" * (MAX_RECORD_CHARS + 10)
    text = (
        "phone,name\n"
        "+12125550147,Fine\n"  # 2
        f"+12125550148,{huge_field}\n"  # 3
        f"{huge_line}\n"  # 4
        "+12125550149,Nul\x00Byte\n"  # 5
        "+12125550150,\x01Control\x7f\n"  # 6
        "\n"  # blank line: not a row
        "   ,   \n"  # 8: a row with nothing in it
        "+12125550151,Last\n"  # 9
    )
    report = import_text(db, campaign, text)
    assert report.accounted
    got = rejections(db, report)
    assert (3, "field_too_long") in got and (4, "row_too_long") in got and (8, "missing_phone") in got
    leads = leads_of(db, campaign)
    assert leads["+12125550149"].name == "NulByte" and report.warnings.get("nul_removed") == 1
    assert leads["+12125550150"].name == "Control"
    assert "+12125550151" in leads
    stored = db.scalars(select(LeadImportRejection).where(LeadImportRejection.line == 4)).one()
    assert stored.raw_truncated and len(stored.raw) <= 2000


def test_an_unterminated_quote_swallows_lines_into_one_reported_record(db):
    campaign = gen_campaign(db)
    report = import_text(db, campaign, 'phone,name\n+12125550147,"Open quote\n+12125550148,Next\n')
    assert report.accounted and report.total_rows == 1
    (rejected,) = db.scalars(select(LeadImportRejection).where(LeadImportRejection.import_id == report.import_id))
    assert "+12125550148" in rejected.raw  # the swallowed row is in the report, not lost
    assert report.imported == 0 and rejected.reason == "malformed_row" and "lines 2-3" in rejected.detail
    # A multi-line value in an ordinary column (an address) is fine.
    ok = import_text(db, campaign, 'phone,address\n+12125550149,"1 Main St\nApt 2"\n+12125550150,x\n')
    assert ok.imported == 2 and leads_of(db, campaign)["+12125550149"].attributes["address"] == "1 Main St\nApt 2"


def test_files_that_cannot_be_imported_at_all_fail_clearly_and_are_recorded(db):
    campaign = gen_campaign(db)
    with pytest.raises(LeadImportError, match="empty"):
        import_text(db, campaign, "")
    with pytest.raises(LeadImportError, match="no phone column"):
        import_text(db, campaign, "name,email\nA,b@c\n")
    with pytest.raises(LeadImportError, match="columns"):
        import_text(db, campaign, ",".join(f"c{i}" for i in range(500)) + "\n")
    statuses = set(db.scalars(select(LeadImport.status).where(LeadImport.campaign_id == campaign.id)))
    assert statuses == {"failed"}


def test_uploads_in_other_encodings_and_the_row_limit(db):
    campaign = gen_campaign(db)
    data = "phone,name\n+12125550147,Zoë Müller\n".encode("cp1252")
    report = import_bytes(db, campaign, data, source="web", filename="leads.csv")
    assert report.encoding == "cp1252" and leads_of(db, campaign)["+12125550147"].name == "Zoë Müller"
    report = import_bytes(db, campaign, b"\xef\xbb\xbfphone\n+12125550148\n+12125550149\n+12125550150\n", max_rows=2)
    assert report.truncated and report.total_rows == 2 and report.warnings["rows_not_read"] == 1


def test_numbers_whose_zones_share_no_window_are_rejected(db):
    campaign = gen_campaign(db, calling_window={"start": "09:00", "end": "11:00"})
    report = import_text(db, campaign, "phone,tz\n+18085550147,\n+18005550100,\n")
    # The toll-free number spans dozens of zones; no two-hour window is open in all of them.
    assert rejections(db, report) == [(3, "no_calling_window")]


def test_rejections_export_neutralises_spreadsheet_formulas(db):
    campaign = gen_campaign(db)
    report = import_text(db, campaign, 'phone,name\n=1+1,"=cmd|x"\n')
    exported = rejections_csv(db, report.import_id)
    assert "'=1+1" in exported


def test_cli_import_with_report_and_rejections_file(tmp_path: Path, runtime, db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, "CLI list")
        db.commit()
    path = tmp_path / "leads.csv"
    rows = (
        ["phone,name"] + [f"+1212555{1000 + i},Lead {i}" for i in range(250)] + ["bogus,Nobody", "+12125551000,Again"]
    )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "rejected.csv"
    from contactcenter.app.cli import main

    result = CliRunner().invoke(
        main, ["leads", "import", str(path), "--campaign", "CLI list", "--json", "--rejections", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["total_rows"], report["imported"], report["rejected"]) == (252, 250, 2)
    assert report["by_reason"] == {"bad_number": 1, "duplicate_in_file": 1}
    assert "bogus,Nobody" in out.read_text()
    human = CliRunner().invoke(main, ["leads", "import", str(path), "--campaign", str(campaign.id)])
    assert human.exit_code == 0, human.output
    assert "duplicate_in_campaign: 250" in human.output and "CLI list" in human.output
    missing = CliRunner().invoke(main, ["leads", "import", str(path), "--campaign", "nope"])
    assert missing.exit_code != 0 and "no campaign" in missing.output
