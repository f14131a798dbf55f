"""Next-best offers: item-to-item likeness beats best sellers where customers have a favourite
category, on purchases after the time it learnt from, and the shop's rules always hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contactcenter.analytics import offers, synthetic
from tests.support.analytics import synthetic_purchases

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def evaluation() -> offers.OfferEvaluation:
    rows, end = synthetic_purchases()
    return offers.evaluate(rows, end)


def test_item_to_item_offers_are_bought_more_often_than_best_sellers(evaluation):
    assert evaluation.model["precision@3"] > evaluation.popularity["precision@3"] + 0.03


def test_item_to_item_offers_find_more_of_what_was_bought_next(evaluation):
    assert evaluation.model["recall@5"] > evaluation.popularity["recall@5"]


def test_without_a_favourite_category_there_is_nothing_to_find():
    rows, end = synthetic_purchases(affinity=0.0)
    result = offers.evaluate(rows, end)
    assert abs(result.model["precision@3"] - result.popularity["precision@3"]) < 0.03


def test_category_affinity_changes_what_is_bought_not_when():
    plain = synthetic.generate(50, end=NOW, seed=4)
    steered = synthetic.generate(50, end=NOW, seed=4, category_affinity=0.9)
    times = [[o.ordered_at for o in c.orders] for c in plain.customers]
    assert times == [[o.ordered_at for o in c.orders] for c in steered.customers]


def test_a_favourite_category_holds_most_of_a_customers_lines():
    history = synthetic.generate(200, end=NOW, seed=4, category_affinity=0.9)
    lines = [(c.favourite, line.category) for c in history.customers for o in c.orders for line in o.lines]
    assert sum(f == got for f, got in lines) / len(lines) > 0.8


def test_offers_leave_out_owned_and_unavailable_products():
    owned = {1: {10, 11}, 2: {10, 11, 12}, 3: {11, 12}, 4: {10, 13}}
    model = offers.fit(owned, [10, 11, 12, 13, 14])
    picks = [p for p, _ in offers.recommend(model, {10}, allowed={10, 11, 13, 14}, k=3)]
    assert 10 not in picks and 12 not in picks and picks[0] == 11


def test_a_customer_with_nothing_liked_gets_the_best_sellers_first():
    model = offers.fit({1: {10, 11}, 2: {11}}, [10, 11, 12])
    assert [p for p, _ in offers.recommend(model, set(), allowed={10, 11, 12}, k=2)] == [11, 10]


def test_no_new_purchases_after_the_split_cannot_be_evaluated():
    with pytest.raises(offers.OffersError):
        offers.evaluate([(1, datetime(2024, 1, 1, tzinfo=UTC), 10)], NOW)
