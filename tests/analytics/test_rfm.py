"""RFM scores and the rules that name segments."""

from __future__ import annotations

import numpy as np
import pytest

from contactcenter.analytics import rfm


def test_quintiles_put_a_fifth_of_customers_in_each_score():
    scores = rfm.quintiles(np.arange(100, dtype=float))
    assert [int((scores == s).sum()) for s in range(1, 6)] == [20, 20, 20, 20, 20]


def test_tied_values_share_one_score():
    scores = rfm.quintiles(np.array([1.0, 1.0, 1.0, 1.0, 5.0]))
    assert len(set(scores[:4].tolist())) == 1


def test_the_most_recent_frequent_big_spender_is_a_champion():
    days = np.array([1.0, 300, 200, 100, 50])
    purchases = np.array([20.0, 1, 2, 3, 4])
    spend = np.array([900.0, 10, 20, 30, 40])
    assert rfm.score(days, purchases, spend)[0].segment == "champions"


def test_a_frequent_buyer_gone_quiet_is_at_risk():
    days = np.array([400.0, 1, 2, 3, 4])
    purchases = np.array([20.0, 1, 2, 3, 4])
    spend = np.array([50.0, 10, 20, 30, 40])
    assert rfm.score(days, purchases, spend)[0].segment == "at_risk"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '[{"recency": [1, 5]}]',
        '[{"name": "x", "recency": [0, 5]}]',
        '[{"name": "x", "recency": [5, 1]}]',
        '[{"name": "x", "tier": "diamond"}]',
        '[{"name": "x", "drop": "table"}]',
    ],
)
def test_bad_rules_are_refused_with_a_reason(text):
    with pytest.raises(rfm.SegmentRulesError):
        rfm.parse_rules(text)
