"""Recompute: every customer with orders gets RFM and lifetime-value rows, read back in one query."""

from __future__ import annotations

from sqlalchemy import func, select

from contactcenter.analytics import rfm, services
from contactcenter.analytics.models import CustomerModelScore, ModelRun
from contactcenter.contacts.models import Customer
from tests.support.analytics import gen_shop


def test_every_customer_with_orders_gets_an_rfm_and_a_clv_row(db):
    ids = gen_shop(db)
    report = services.recompute(db)
    assert (report.rfm_scored, report.clv_scored, report.clv_error) == (len(ids), len(ids), None)
    assert db.scalar(select(func.count()).select_from(CustomerModelScore)) == 2 * len(ids)


def test_recomputing_twice_replaces_rather_than_adds_rows(db):
    ids = gen_shop(db)
    services.recompute(db)
    services.recompute(db)
    assert db.scalar(select(func.count()).select_from(CustomerModelScore)) == 2 * len(ids)


def test_each_run_is_recorded_with_its_fitted_parameters(db):
    gen_shop(db)
    services.recompute(db)
    run = db.scalars(select(ModelRun).where(ModelRun.model == "clv")).one()
    assert set(run.params["bgnbd"]) == {"r", "alpha", "a", "b"} and run.model_version == services.CLV_VERSION


def test_customer_figures_read_segment_value_and_p_alive(db):
    ids = gen_shop(db)
    services.recompute(db)
    figures = services.customer_figures(db, ids[0])
    assert figures is not None and figures.segment and figures.value_tier in ("top", "high", "medium", "low")
    assert 0 <= figures.p_alive <= 1 and figures.clv_12m >= 0


def test_a_customer_without_orders_has_no_figures(db):
    gen_shop(db)
    services.recompute(db)
    lonely = Customer(name="No Orders", segment="standard", attributes={})
    db.add(lonely)
    db.flush()
    assert services.customer_figures(db, lonely.id) is None


def test_too_little_history_still_scores_rfm_and_says_why_clv_was_not(db):
    gen_shop(db, customers=4)
    report = services.recompute(db)
    assert report.rfm_scored == 4 and report.clv_scored == 0 and "too few" in report.clv_error


def test_rfm_can_set_the_service_tier_when_the_company_turns_it_on(db):
    ids = gen_shop(db)
    services.recompute(db, set_segment=services.set_service_tiers)
    rows = dict(
        db.execute(
            select(CustomerModelScore.customer_id, CustomerModelScore.figures).where(CustomerModelScore.model == "rfm")
        ).all()
    )
    segments = dict(db.execute(select(Customer.id, Customer.segment).where(Customer.id.in_(ids))).all())
    assert all(segments[cid] == rows[cid]["tier"] for cid in ids)


def test_the_hand_set_tier_stays_when_the_setting_is_off(db):
    ids = gen_shop(db)
    services.recompute(db)
    assert set(db.scalars(select(Customer.segment).where(Customer.id.in_(ids)))) == {"standard"}


def test_company_rules_name_the_segments(db):
    gen_shop(db)
    rules = rfm.parse_rules('[{"name": "everyone", "tier": "silver"}]')
    services.recompute(db, rules=rules)
    assert set(db.scalars(select(CustomerModelScore.label).where(CustomerModelScore.model == "rfm"))) == {"everyone"}


def test_the_holdout_evaluation_beats_the_naive_baseline_on_generated_history(db):
    gen_shop(db, customers=400, seed=4)
    result = services.evaluate(db, holdout_weeks=26)
    assert result.customers == 400 and result.mae_model < result.mae_naive


def test_merging_two_scored_shoppers_keeps_every_order_and_drops_the_duplicates_figures(db, runtime):
    from contactcenter.analytics.models import Order
    from contactcenter.contacts import merge

    survivor, duplicate = gen_shop(db)[:2]
    services.recompute(db)
    orders_before = db.scalar(
        select(func.count()).select_from(Order).where(Order.customer_id.in_((survivor, duplicate)))
    )
    merge.merge(db, survivor, duplicate)
    orders_after = db.scalar(select(func.count()).select_from(Order).where(Order.customer_id == survivor))
    assert orders_after == orders_before
    owners = set(
        db.scalars(
            select(CustomerModelScore.customer_id).where(CustomerModelScore.customer_id.in_((survivor, duplicate)))
        )
    )
    assert owners == {survivor}
