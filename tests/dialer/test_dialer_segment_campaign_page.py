"""The "New campaign from a segment" page: the campaign form plus a segment and value tier; the
leads are the segment's callable customers and the skips are reported; bad choices are refused
next to their field with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.accounts.models import Role
from contactcenter.analytics.models import CustomerModelScore
from contactcenter.dialer import dnc
from contactcenter.dialer.models import Campaign, Lead
from tests.support.factories import gen_agent, gen_customer
from tests.support.outbound_admin import HOSTILE, campaign_form
from tests.support.web_client import logged_in


def member(db, name: str, phone: str, segment: str, tier: str = "medium") -> int:  # type: ignore[no-untyped-def]
    customer = gen_customer(db, name, (phone,))
    db.add(CustomerModelScore(customer_id=customer.id, model="rfm", model_version="t", score=111, label=segment))
    db.add(CustomerModelScore(customer_id=customer.id, model="clv", model_version="t", score=10, label=tier))
    db.flush()
    return customer.id


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "carl")
    member(db, "Ann", "+12125550101", "at_risk", "high")
    member(db, "Bob", "+12125550102", "at_risk", "low")
    member(db, "Cy", "+12125550103", "champions", "top")
    dnc.add(db, "+12125550102")
    db.commit()


def campaigns(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count(Campaign.id))) or 0


def test_the_page_offers_the_segments_customers_are_in(app, staff):
    page = logged_in(app, "sam").get("/admin/dialer/from-segment").get_data(as_text=True)
    assert '<option value="at_risk">' in page and '<option value="champions">' in page
    assert 'name="order_by_value" value="1" checked' in page


def test_creating_it_makes_leads_and_reports_the_skips(app, staff, db):
    client = logged_in(app, "sam")
    resp = client.post("/admin/dialer/from-segment", data=campaign_form("Win back", segment="at_risk"))
    assert resp.status_code == 303
    made = db.scalars(select(Campaign)).one()
    assert db.scalars(select(Lead.phone).where(Lead.campaign_id == made.id)).all() == ["+12125550101"]
    assert made.order_by_value is False  # the box was not ticked in this submission
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1 leads from 2 customers in at_risk" in page and "skipped 1: on a do-not-contact list" in page


def test_a_minimum_tier_and_value_ordering_are_kept(app, staff, db):
    form = campaign_form("Top only", segment="champions", min_tier="top", order_by_value="1", default_lead_value="12.5")
    assert logged_in(app, "sam").post("/admin/dialer/from-segment", data=form).status_code == 303
    made = db.scalars(select(Campaign)).one()
    assert (made.order_by_value, made.default_lead_value) == (True, 12.5)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"segment": ""}, "segment"),
        ({"segment": HOSTILE[0]}, "segment"),
        ({"segment": HOSTILE[1]}, "segment"),
        ({"segment": "x" * 5000}, "segment"),
        ({"segment": "at_risk", "min_tier": "platinum"}, "min_tier"),
        ({"segment": "at_risk", "default_lead_value": "-5"}, "default_lead_value"),
        ({"segment": "at_risk", "default_lead_value": "1e999"}, "default_lead_value"),
        ({"segment": "at_risk", "caller_id": "not a number"}, "caller_id"),
    ],
)
def test_bad_or_hostile_choices_are_refused_by_their_field(app, staff, db, changes, field):
    resp = logged_in(app, "sam").post("/admin/dialer/from-segment", data=campaign_form("Win back", **changes))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and f'id="error-{field}"' in page
    assert "<script>alert(1)</script>" not in page
    assert campaigns(db) == 0


def test_a_segment_nobody_can_be_called_in_creates_nothing(app, staff, db):
    dnc.add(db, "+12125550103")
    db.commit()
    resp = logged_in(app, "sam").post("/admin/dialer/from-segment", data=campaign_form("Win back", segment="champions"))
    assert resp.status_code == 400 and "can be called" in resp.get_data(as_text=True)
    assert campaigns(db) == 0


def test_agents_may_not_use_it(app, staff):
    assert logged_in(app, "carl").get("/admin/dialer/from-segment").status_code == 403
