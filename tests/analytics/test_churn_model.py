"""Churn risk on generated data whose leavers call, complain and rate calls low after their last
order: the model must find that signal and beat recency alone, on a later cutoff than it learnt on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from contactcenter.analytics import churn, features
from contactcenter.analytics.features import ContactEvent
from contactcenter.analytics.synthetic_contacts import TroubleParams
from tests.support.analytics import synthetic_churn_data

CUTOFF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def evaluation() -> churn.ChurnEvaluation:
    orders, events, end = synthetic_churn_data()
    return churn.evaluate(orders, events, end)


def test_the_model_ranks_leavers_better_than_recency_alone(evaluation):
    assert evaluation.model.auc > evaluation.baseline.auc + 0.02


def test_the_models_top_decile_holds_more_leavers_than_the_baselines(evaluation):
    assert evaluation.model.precision_top_decile > evaluation.baseline.precision_top_decile


def test_the_model_is_calibrated_on_the_later_cutoff(evaluation):
    predicted = sum(b["predicted"] * b["customers"] for b in evaluation.model.calibration) / evaluation.test_customers
    assert abs(predicted - evaluation.churn_rate) < 0.05
    assert evaluation.model.brier < evaluation.baseline.brier


def test_repeat_calls_and_complaints_raise_the_risk(evaluation):
    weights = evaluation.coefficients
    assert weights["repeat_calls_90d"] > 0.1 and weights["complaints_90d"] > 0.1


def test_it_is_tested_on_a_cutoff_after_the_one_it_learnt_on(evaluation):
    assert evaluation.test_cutoff - evaluation.train_cutoff == timedelta(weeks=churn.WINDOW_WEEKS)


def test_without_the_trouble_contact_history_adds_nothing_to_recency():
    quiet = TroubleParams(burst_calls=0.0, p_complaint=0.05, p_abandon=0.08, p_low_csat=0.05)
    orders, events, end = synthetic_churn_data(trouble=quiet)
    result = churn.evaluate(orders, [e for e in events if e.kind != "call"], end)
    assert abs(result.model.auc - result.baseline.auc) < 0.02


def test_features_see_nothing_at_or_after_the_cutoff():
    orders = [(1, CUTOFF - timedelta(days=10), 20.0), (1, CUTOFF + timedelta(days=1), 50.0)]
    events = [ContactEvent(1, CUTOFF - timedelta(days=5), "call"), ContactEvent(1, CUTOFF, "complaint")]
    table = features.build(orders, events, CUTOFF)
    assert table.column("purchases").tolist() == [1] and table.column("avg_order_value").tolist() == [20.0]
    assert table.column("calls_90d").tolist() == [1] and table.column("complaints_90d").tolist() == [0]


def test_a_call_within_a_week_of_the_last_counts_as_a_repeat():
    orders = [(1, CUTOFF - timedelta(days=30), 20.0)]
    days = (20, 15, 3)
    events = [ContactEvent(1, CUTOFF - timedelta(days=d), "call") for d in days]
    assert features.build(orders, events, CUTOFF).column("repeat_calls_90d").tolist() == [1]


def test_customers_gone_over_a_year_are_not_scored():
    orders = [(1, CUTOFF - timedelta(days=400), 20.0), (2, CUTOFF - timedelta(days=30), 20.0)]
    assert features.build(orders, [], CUTOFF).customer_ids == [2]


def test_the_label_is_no_purchase_in_the_window_after_the_cutoff():
    orders = [(1, CUTOFF + timedelta(days=10), 5.0), (2, CUTOFF + timedelta(weeks=30), 5.0)]
    assert features.churned(orders, [1, 2, 3], CUTOFF, timedelta(weeks=26)).tolist() == [0, 1, 1]


def test_a_customer_who_keeps_calling_back_hears_it_among_the_reasons():
    orders, events, end = synthetic_churn_data(customers=800)
    window = timedelta(weeks=churn.WINDOW_WEEKS)
    train = features.build(orders, events, end - window)
    model = churn.fit(train, features.churned(orders, train.customer_ids, end - window, window))
    calls = [ContactEvent(10**6, end - timedelta(days=d), "call") for d in (9, 6, 4, 2)]
    complaints = [ContactEvent(10**6, end - timedelta(days=d), "complaint") for d in (6, 2)]
    table = features.build([*orders, (10**6, end - timedelta(days=20), 40.0)], calls + complaints, end)
    row = table.customer_ids.index(10**6)
    reasons = model.reasons(table)[row]
    assert "3 repeat calls in 90 days" in [r["text"] for r in reasons]


def test_one_kind_of_customer_only_cannot_be_learnt():
    table = features.FeatureTable(CUTOFF, list(range(50)), np.zeros((50, len(features.FEATURES))))
    with pytest.raises(churn.ChurnError):
        churn.fit(table, np.ones(50, dtype=int))
