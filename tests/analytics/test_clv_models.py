"""The lifetime-value models against the published CDNOW figures and against histories whose
true parameters we drew them from."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from contactcenter.analytics import clv, synthetic
from contactcenter.analytics.summary import summarise

CDNOW = Path(__file__).parent.parent / "data" / "cdnow_summary.csv"
END = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    with CDNOW.open() as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[key]) for row in rows]) for key in ("x", "t_x", "T", "zbar")}


def test_the_cdnow_sample_has_the_published_2357_customers(cdnow: dict[str, np.ndarray]) -> None:
    assert len(cdnow["x"]) == 2357


def test_bgnbd_fit_gives_the_published_cdnow_parameters(cdnow: dict[str, np.ndarray]) -> None:
    # Fader, Hardie & Lee (2005), table 1: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
    fitted = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fitted.r == pytest.approx(0.243, abs=0.001)
    assert fitted.alpha == pytest.approx(4.414, abs=0.002)
    assert fitted.a == pytest.approx(0.793, abs=0.002)
    assert fitted.b == pytest.approx(2.426, abs=0.005)


def test_bgnbd_log_likelihood_at_the_published_parameters_is_the_published_value(
    cdnow: dict[str, np.ndarray],
) -> None:
    # The paper reports LL = -9582.4 at its estimates.
    params = clv.BgNbdParams(0.243, 4.414, 0.793, 2.426)
    assert float(np.sum(clv.bgnbd_log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"]))) == pytest.approx(
        -9582.4, abs=0.5
    )


def test_conditional_expectation_matches_the_papers_worked_customer() -> None:
    # FHL 2005, section 4: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    params = clv.BgNbdParams(0.243, 4.414, 0.793, 2.426)
    expected = clv.expected_purchases(params, 39.0, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert float(expected[0]) == pytest.approx(1.226, abs=0.002)


def test_gamma_gamma_fit_gives_the_published_cdnow_parameters(cdnow: dict[str, np.ndarray]) -> None:
    # Fader, Hardie & Lee (2005b), "RFM and CLV": p = 6.25, q = 3.74, gamma = 15.44.
    fitted = clv.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fitted.p == pytest.approx(6.25, abs=0.01)
    assert fitted.q == pytest.approx(3.74, abs=0.01)
    assert fitted.gamma == pytest.approx(15.44, abs=0.02)


def test_probability_alive_is_one_for_a_customer_who_never_bought_again() -> None:
    params = clv.BgNbdParams(0.243, 4.414, 0.793, 2.426)
    alive = clv.probability_alive(params, np.array([0.0]), np.array([0.0]), np.array([38.86]))
    assert float(alive[0]) == 1.0


def _history_rows(history: synthetic.SyntheticHistory) -> list[tuple[int, datetime, float]]:
    return [(c.index, o.ordered_at, o.total) for c in history.customers for o in c.orders]


def test_generated_purchases_give_back_their_bgnbd_parameters_within_25_percent() -> None:
    # 6,000 customers over two years: the MLE's sampling error is well inside the tolerance.
    truth = clv.BgNbdParams(r=0.75, alpha=6.0, a=0.9, b=4.0)
    history = synthetic.generate(6000, end=END, weeks=104, purchases=truth, lines=False, seed=11)
    s = summarise(_history_rows(history), END)
    fitted = clv.fit_bgnbd(s.x, s.t_x, s.T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=0.25), name


def test_generated_order_values_give_back_their_gamma_gamma_parameters_within_25_percent() -> None:
    truth = clv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    history = synthetic.generate(6000, end=END, weeks=104, spend=truth, lines=False, seed=12)
    s = summarise(_history_rows(history), END)
    fitted = clv.fit_gamma_gamma(s.x, s.zbar)
    # p, q and gamma trade off against each other; the population mean order value p*gamma/(q-1)
    # is what the model is for, and it is pinned down much more tightly.
    assert fitted.p == pytest.approx(truth.p, rel=0.25)
    assert fitted.q == pytest.approx(truth.q, rel=0.25)
    assert fitted.gamma == pytest.approx(truth.gamma, rel=0.25)
    mean = fitted.p * fitted.gamma / (fitted.q - 1)
    assert mean == pytest.approx(truth.p * truth.gamma / (truth.q - 1), rel=0.05)


def test_the_generator_draws_the_same_history_from_the_same_seed() -> None:
    first = synthetic.generate(50, end=END, seed=5)
    second = synthetic.generate(50, end=END, seed=5)
    assert _history_rows(first) == _history_rows(second)


def test_seasonality_puts_more_orders_in_december_than_in_june() -> None:
    history = synthetic.generate(3000, end=END, weeks=156, seasonality=0.6, lines=False, seed=8)
    months = [o.ordered_at.month for c in history.customers for o in c.orders]
    assert months.count(12) > 1.5 * months.count(6)


def test_fitting_too_few_customers_is_refused_with_a_reason() -> None:
    with pytest.raises(clv.FitError):
        clv.fit_bgnbd(np.array([0.0, 1.0]), np.array([0.0, 2.0]), np.array([10.0, 10.0]))
