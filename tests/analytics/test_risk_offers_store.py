"""Churn risk and next-best offers in the store: recomputed with the other models, read by the
screen pop in its one query plus one for the offers still in stock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contactcenter import clock
from contactcenter.analytics import features, risk_and_offers, services
from contactcenter.analytics.churn import CHURN_VERSION
from contactcenter.analytics.models import CustomerModelScore, ModelRun, Order, OrderLine, Product
from contactcenter.analytics.offers import OFFERS_VERSION
from contactcenter.app.analytics_contacts import ticket_events
from contactcenter.app.tasks.analytics import recompute_with_settings
from contactcenter.calls import screen_pop
from contactcenter.tickets.models import TicketSla
from tests.support.analytics import gen_shop_with_calls
from tests.support.factories import gen_call, gen_customer


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    ids = gen_shop_with_calls(db)
    risk_and_offers.recompute(db)
    return ids


def _owned(db, customer_id):  # type: ignore[no-untyped-def]
    return set(
        db.scalars(
            select(OrderLine.product_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == customer_id)
        )
    )


def _scored(db, model):  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(CustomerModelScore).where(CustomerModelScore.model == model))


def test_active_customers_get_a_churn_risk_with_reasons(db, shop):
    rows = list(db.scalars(select(CustomerModelScore).where(CustomerModelScore.model == "churn")))
    assert rows and all(0 <= r.score <= 1 and r.label in ("high", "medium", "low") for r in rows)
    assert any(r.figures["reasons"] for r in rows) and {r.model_version for r in rows} == {CHURN_VERSION}


def test_every_buyer_gets_offers_of_products_they_do_not_own(db, shop):
    row = db.scalars(select(CustomerModelScore).where(CustomerModelScore.model == "next_offer")).first()
    offered = {o["product_id"] for o in row.figures["offers"]}
    assert offered and not offered & _owned(db, row.customer_id)


def test_each_model_run_is_recorded_with_its_version(db, shop):
    runs = {r.model: r for r in db.scalars(select(ModelRun))}
    assert runs["churn"].model_version == CHURN_VERSION and "repeat_calls_90d" in runs["churn"].params["coefficients"]
    assert runs["next_offer"].model_version == OFFERS_VERSION and runs["next_offer"].customers > 0


def test_recomputing_replaces_the_rows(db, shop):
    before = (_scored(db, "churn"), _scored(db, "next_offer"))
    risk_and_offers.recompute(db)
    assert (_scored(db, "churn"), _scored(db, "next_offer")) == before


def test_products_not_eligible_are_never_stored_as_offers(db):
    gen_shop_with_calls(db, 120)
    banned = db.scalars(select(Product).order_by(Product.id)).first()
    banned.offer_eligible = False
    db.flush()
    risk_and_offers.recompute(db)
    stored = {
        o["product_id"]
        for f in db.scalars(select(CustomerModelScore.figures).where(CustomerModelScore.model == "next_offer"))
        for o in f["offers"]
    }
    assert stored and banned.id not in stored


def test_the_figures_carry_churn_risk_band_and_reasons(db, shop):
    customer_id = db.scalar(select(CustomerModelScore.customer_id).where(CustomerModelScore.model == "churn"))
    figures = services.customer_figures(db, customer_id)
    data = figures.as_dict()
    assert 0 <= data["churn_risk"] <= 1 and data["churn_band"] and isinstance(data["churn_reasons"], list)


def test_the_screen_pop_shows_at_most_three_offers_still_in_stock(db, shop):
    rows = db.scalars(
        select(CustomerModelScore).where(CustomerModelScore.model == "next_offer").order_by(CustomerModelScore.id)
    )
    customer_id = next(r.customer_id for r in rows if len(r.figures["offers"]) >= 4)  # one left after a sell-out
    call = gen_call(db, customer_id=customer_id, agent_id=None)
    first = screen_pop.build(db, call.call_sid)["customer"]["offers"]
    db.get(Product, first[0]["product_id"]).in_stock = False
    db.flush()
    after = screen_pop.build(db, call.call_sid)["customer"]["offers"]
    assert len(first) == 3 and len(after) == 3 and first[0]["product_id"] not in {o["product_id"] for o in after}


def test_a_customer_without_figures_has_no_offers_in_the_pop(db):
    grace = gen_customer(db)
    call = gen_call(db, customer_id=grace.id)
    assert screen_pop.build(db, call.call_sid)["customer"]["offers"] == []


def test_a_store_with_too_few_customers_reports_why_churn_was_not_scored(db):
    gen_shop_with_calls(db, 10)
    report = risk_and_offers.recompute(db)
    assert report.churn_scored == 0 and "at least" in report.churn_error


def test_the_worker_job_recomputes_churn_and_offers_with_the_other_models(db, settings):
    gen_shop_with_calls(db, 200)
    report = recompute_with_settings(db, settings)
    assert report.rfm_scored and report.churn_scored and report.offers_scored and report.churn_error is None


def test_calls_become_contact_events_by_outcome_disposition_and_satisfaction(db):
    grace = gen_customer(db)
    now = clock.now()
    gen_call(db, customer_id=grace.id, outcome="abandoned", arrived_at=now - timedelta(days=1))
    gen_call(db, customer_id=grace.id, disposition="Complaint - delivery", csat=2, arrived_at=now - timedelta(days=1))
    kinds = sorted(e.kind for e in features.call_events(db, now - timedelta(days=7), now))
    assert kinds == ["abandon", "call", "call", "complaint", "low_csat"]


def test_complaint_tickets_and_breached_clocks_become_contact_events(db):
    from contactcenter.tickets.services import open_ticket

    grace = gen_customer(db)
    now = clock.now()
    ticket = open_ticket(db, "Complaint about my delivery", customer_id=grace.id)
    db.add(
        TicketSla(
            ticket_id=ticket.id,
            metric="resolution",
            target_s=60,
            state="running",
            started_at=now - timedelta(hours=2),
            deadline_at=now - timedelta(hours=1),
        )
    )
    db.flush()
    kinds = sorted(e.kind for e in ticket_events(db, now - timedelta(days=1), now + timedelta(seconds=1)))
    assert kinds == ["complaint", "sla_breach"]


def test_the_evaluation_on_the_store_reports_both_models_and_their_baselines(db):
    gen_shop_with_calls(db, 400)
    result = risk_and_offers.evaluate(db)
    assert result.churn is not None and result.churn.model.auc > 0.5 and result.churn.baseline.auc > 0.5
    assert result.offers is not None and "precision@5" in result.offers.popularity


def test_the_demo_seed_gives_its_shoppers_churn_risk_and_offers(db):
    from contactcenter.app.demo_data import seed

    seed(db)
    assert _scored(db, "churn") > 0 and _scored(db, "next_offer") > 0


def test_the_customer_page_shows_the_churn_risk_and_its_reasons(client, db):
    from contactcenter.accounts.models import Role
    from tests.support.factories import gen_agent
    from tests.support.web_client import log_in

    gen_shop_with_calls(db, 200)
    risk_and_offers.recompute(db)
    customer_id = db.scalar(select(CustomerModelScore.customer_id).where(CustomerModelScore.model == "churn"))
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    log_in(client, "sam")
    page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert 'id="customer-churn"' in page and "Churn risk:" in page
