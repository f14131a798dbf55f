"""A retention campaign made from an RFM segment: one lead per callable customer, skips counted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from contactcenter.analytics.models import CustomerModelScore
from contactcenter.contacts.models import CustomerPhone
from contactcenter.dialer import dnc
from contactcenter.dialer.campaigns import CampaignError
from contactcenter.dialer.models import Campaign, Lead
from contactcenter.dialer.segment_campaign import SegmentCampaignError, create_from_segment
from tests.support.factories import gen_customer

SETTINGS: dict[str, Any] = {
    "name": "Win back",
    "caller_id": "+12025550100",
    "company_name": "Acme Energy",
    "callback_number": "+18005550123",
    "dial_mode": "progressive",
}


def member(db, name: str, phones: tuple[str, ...], segment: str, tier: str = "medium") -> int:  # type: ignore[no-untyped-def]
    customer = gen_customer(db, name, phones)
    db.add(CustomerModelScore(customer_id=customer.id, model="rfm", model_version="t", score=111, label=segment))
    db.add(CustomerModelScore(customer_id=customer.id, model="clv", model_version="t", score=10, label=tier))
    db.flush()
    return customer.id


def test_the_segments_callable_customers_become_the_leads(db):
    a = member(db, "Ann", ("+12125550101",), "at_risk")
    b = member(db, "Bob", ("+13125550102",), "at_risk")
    member(db, "Cy", ("+14155550103",), "champions")
    report = create_from_segment(db, segment="at_risk", settings=SETTINGS)
    leads = db.scalars(select(Lead).where(Lead.campaign_id == report.campaign.id).order_by(Lead.id)).all()
    assert [(lead.customer_id, lead.phone) for lead in leads] == [(a, "+12125550101"), (b, "+13125550102")]
    assert leads[0].time_zones == ["America/New_York"] and leads[0].attributes == {"segment": "at_risk"}
    assert (report.customers, report.leads, dict(report.skipped)) == (2, 2, {})
    assert report.campaign.status == "draft" and "at_risk" in report.campaign.description


def test_a_minimum_value_tier_keeps_only_customers_at_or_above_it(db):
    member(db, "Low", ("+12125550101",), "loyal", "low")
    high = member(db, "High", ("+12125550102",), "loyal", "high")
    top = member(db, "Top", ("+12125550103",), "loyal", "top")
    report = create_from_segment(db, segment="loyal", min_tier="high", settings=SETTINGS)
    chosen = set(db.scalars(select(Lead.customer_id).where(Lead.campaign_id == report.campaign.id)))
    assert chosen == {high, top}


def test_do_not_contact_numbers_and_numbers_that_cannot_be_called_are_skipped_and_counted(db):
    member(db, "Ok", ("+12125550101",), "at_risk")
    member(db, "Listed", ("+12125550102",), "at_risk")
    dnc.add(db, "+12125550102")
    member(db, "Phoneless", (), "at_risk")
    bad = member(db, "Bad", ("+12125550104",), "at_risk")
    db.execute(CustomerPhone.__table__.update().where(CustomerPhone.customer_id == bad).values(e164="12345"))
    report = create_from_segment(db, segment="at_risk", settings=SETTINGS)
    assert report.leads == 1
    assert dict(report.skipped) == {"dnc": 1, "no_phone": 1, "invalid_phone": 1}
    assert report.as_dict()["skipped_total"] == 3
    assert any("do-not-contact" in line for line in report.summary_lines())


def test_a_customer_with_several_numbers_is_called_on_the_first_valid_one(db):
    cid = member(db, "Two", ("+12125550101", "+13125550102"), "at_risk")
    db.execute(CustomerPhone.__table__.update().where(CustomerPhone.e164 == "+12125550101").values(e164="not a number"))
    report = create_from_segment(db, segment="at_risk", settings=SETTINGS)
    assert db.scalars(select(Lead.phone).where(Lead.customer_id == cid)).all() == ["+13125550102"]
    assert report.leads == 1


def test_a_segment_nobody_can_be_called_in_stores_no_campaign(db):
    member(db, "Listed", ("+12125550102",), "at_risk")
    dnc.add(db, "+12125550102")
    with pytest.raises(SegmentCampaignError, match="on a do-not-contact list"):
        create_from_segment(db, segment="at_risk", settings=SETTINGS)
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    ("segment", "min_tier", "field", "words"),
    [
        ("", None, "segment", "choose a segment"),
        (None, None, "segment", "choose a segment"),
        ("nobody", None, "segment", "no customer is in segment"),
        ("at_risk' OR '1'='1", None, "segment", "no customer is in segment"),
        ("<script>alert(1)</script>", None, "segment", "no customer is in segment"),
        ("x" * 10_000, None, "segment", "at most 64"),
        ("at_risk", "platinum", "min_tier", "one of low, medium, high, top"),
        ("at_risk", ["top"], "min_tier", "one of"),
    ],
)
def test_hostile_or_unknown_choices_are_refused_with_the_field_named(db, segment, min_tier, field, words):
    member(db, "Ann", ("+12125550101",), "at_risk")
    with pytest.raises(SegmentCampaignError) as caught:
        create_from_segment(db, segment=segment, min_tier=min_tier, settings=SETTINGS)
    assert caught.value.field == field and words in str(caught.value)
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0


def test_campaign_settings_are_checked_as_for_any_campaign(db):
    member(db, "Ann", ("+12125550101",), "at_risk")
    with pytest.raises(CampaignError) as caught:
        create_from_segment(db, segment="at_risk", settings={**SETTINGS, "caller_id": "not a phone"})
    assert caught.value.field == "caller_id"


def test_the_cli_verb_reports_leads_and_skips(runtime, db):
    from click.testing import CliRunner

    from contactcenter.app.cli import main

    member(db, "Ann", ("+12125550101",), "at_risk", "high")
    member(db, "Bob", ("+12125550102",), "at_risk", "high")
    dnc.add(db, "+12125550102")
    db.commit()
    args = ["campaigns", "from-segment", "--name", "Win back", "--segment", "at_risk", "--min-tier", "high"]
    args += ["--caller-id", "202-555-0100", "--company-name", "Acme", "--callback-number", "800-555-0123"]
    result = CliRunner().invoke(main, [*args, "--order-by-value", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["leads"], report["skipped"]) == (1, {"dnc": 1})
    db.expire_all()
    assert db.scalars(select(Campaign.order_by_value).where(Campaign.name == "Win back")).one() is True
    hostile = ["campaigns", "from-segment", "--name", "Other", "--segment", "<b>x</b>", *args[8:]]
    again = CliRunner().invoke(main, hostile)
    assert again.exit_code == 2 and "no customer is in segment" in again.output
