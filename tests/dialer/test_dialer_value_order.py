"""Value ordering: due leads by expected value × P(answer at the lead's local hour), inside the
unchanged dial gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from contactcenter.analytics.models import CustomerModelScore
from contactcenter.dialer import campaigns, dial_gate, dnc, value_order
from contactcenter.dialer.campaigns import CampaignError
from contactcenter.dialer.models import DialAttempt, Lead
from tests.support.dialer import NUMBERS, gen_campaign, gen_lead
from tests.support.factories import gen_customer

# 16:00 UTC: 11:00 New York, 10:00 Chicago, 08:00 Los Angeles, 06:00 Honolulu.
AFTERNOON = "2026-01-05 16:00:00"


def scored(db, name: str, phone: str, value: float) -> int:  # type: ignore[no-untyped-def]
    customer = gen_customer(db, name, (phone,))
    db.add(CustomerModelScore(customer_id=customer.id, model="clv", model_version="t", score=value, label="high"))
    db.flush()
    return customer.id


def attempt(db, campaign, lead, at: datetime, outcome: str) -> None:  # type: ignore[no-untyped-def]
    db.add(
        DialAttempt(
            campaign_id=campaign.id,
            lead_id=lead.id,
            phone=lead.phone,
            caller_id=campaign.caller_id,
            mode="predictive",
            claimed_at=at,
            placed_at=at,
            ended_at=at + timedelta(seconds=40),
            outcome=outcome,
            status="completed",
        )
    )
    db.flush()


def test_an_empty_history_gives_every_hour_the_prior_rate():
    model = value_order.fit_contact_model([])
    assert model.attempts == 0
    assert set(model.by_hour) == {value_order.PRIOR_RATE}


def test_one_lucky_answer_is_shrunk_towards_the_campaign_rate():
    history = [(10, False)] * 30 + [(19, True)]
    model = value_order.fit_contact_model(history)
    assert model.probability(10) < model.overall < model.probability(19) < 0.2


def test_the_option_is_off_by_default_and_leads_keep_import_order(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db)
        cheap = gen_lead(db, campaign, "+12125550101")
        rich = gen_lead(db, campaign, "+12125550102", customer_id=scored(db, "Rich", "+12125550102", 9000.0))
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert campaign.order_by_value is False
    assert [c.lead_id for c in claims] == [cheap.id] != [rich.id]


def test_the_most_valuable_customer_is_dialled_first(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True)
        gen_lead(db, campaign, "+12125550101", customer_id=scored(db, "Small", "+12125550101", 50.0))
        rich = gen_lead(db, campaign, "+12125550102", customer_id=scored(db, "Rich", "+12125550102", 9000.0))
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert [c.lead_id for c in claims] == [rich.id]


def test_a_lead_matches_a_scored_customer_by_its_number(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True)
        gen_lead(db, campaign, "+12125550101")
        scored(db, "Rich", "+12125550102", 9000.0)
        rich = gen_lead(db, campaign, "+12125550102")  # no customer link: found by its number
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert [c.lead_id for c in claims] == [rich.id]


def test_unscored_leads_are_worth_the_campaign_default(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True, default_lead_value=500.0)
        gen_lead(db, campaign, "+12125550101", customer_id=scored(db, "Small", "+12125550101", 50.0))
        unknown = gen_lead(db, campaign, "+12125550102")
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert [c.lead_id for c in claims] == [unknown.id]


def test_at_equal_value_the_hour_that_answers_more_goes_first(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True, default_lead_value=100.0)
        new_york = gen_lead(db, campaign, NUMBERS["America/New_York"])
        chicago = gen_lead(db, campaign, NUMBERS["America/Chicago"])
        earlier = datetime(2026, 1, 2, 16, 0, tzinfo=UTC)  # 11:00 New York, 10:00 Chicago
        for _ in range(30):
            attempt(db, campaign, new_york, earlier, "no-answer")
            attempt(db, campaign, chicago, earlier, "connected")
        for lead in (new_york, chicago):
            lead.attempts = 0
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert [c.lead_id for c in claims] == [chicago.id]


def test_a_valuable_lead_outside_calling_hours_is_still_not_dialled(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True)
        honolulu = NUMBERS["Pacific/Honolulu"]  # 06:00 there
        gen_lead(db, campaign, honolulu, customer_id=scored(db, "Rich", honolulu, 1e6))
        cheap = gen_lead(db, campaign, "+12125550101", customer_id=scored(db, "Small", "+12125550101", 1.0))
        claims = dial_gate.claim_leads(db, campaign, 2)
    assert [c.lead_id for c in claims] == [cheap.id]


def test_a_due_callback_still_comes_before_value(db):
    with freeze_time(AFTERNOON):
        campaign = gen_campaign(db, order_by_value=True)
        gen_lead(db, campaign, "+12125550101", customer_id=scored(db, "Rich", "+12125550101", 9000.0))
        promised = gen_lead(db, campaign, "+12125550102", callback_at=datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
        claims = dial_gate.claim_leads(db, campaign, 1)
    assert [c.lead_id for c in claims] == [promised.id]


def test_a_bad_default_value_is_refused(db):
    for bad in (-1.0, float("nan"), float("inf"), "lots", True):
        try:
            gen_campaign(db, f"bad {bad!r}", default_lead_value=bad)
        except CampaignError as exc:
            assert exc.field == "default_lead_value"
        else:
            raise AssertionError(f"{bad!r} accepted")


def test_the_option_can_be_switched_on_later(db):
    campaign = gen_campaign(db, start=False)
    campaigns.update_campaign(db, campaign, order_by_value=True, default_lead_value=25)
    assert campaign.order_by_value is True and campaign.default_lead_value == 25


LEADS = st.lists(
    st.tuples(
        st.sampled_from(sorted(NUMBERS)),
        st.floats(min_value=0, max_value=1e5, allow_nan=False),
        st.integers(min_value=0, max_value=4),  # attempts made
        st.booleans(),  # on the do-not-contact list
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    leads=LEADS,
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
)
def test_value_ordering_never_admits_a_lead_the_gate_refuses(db, leads, at):
    db.rollback()
    with freeze_time(at):
        campaign = gen_campaign(db, f"v{at.timestamp()}", order_by_value=True, max_attempts=3)
        for i, (zone, value, attempts, listed) in enumerate(leads):
            phone = NUMBERS[zone][:-2] + f"{i:02d}"
            customer_id = scored(db, f"C{i}", phone, value)
            gen_lead(db, campaign, phone, customer_id=customer_id, attempts=attempts, time_zones=[zone])
            if listed:
                dnc.add(db, phone)
        rows = list(db.scalars(select(Lead).where(Lead.campaign_id == campaign.id)))
        allowed = {lead.id for lead in rows if dial_gate.gate(db, campaign, lead, at).allowed}
        claims = dial_gate.claim_leads(db, campaign, len(leads))
    assert {c.lead_id for c in claims} == allowed
    db.rollback()
