"""Churn risk: a calibrated logistic model on purchase and contact features, trained on one
cutoff and judged on a later one, beside a recency-only baseline it has to beat.

A logistic model keeps each customer's reasons honest: a feature's contribution to the log-odds
is its coefficient times the customer's standardised value, so the largest positive ones are the
reasons an agent sees ("3 repeat calls in 90 days"). The probabilities come from a sigmoid
calibration fitted by cross-validation, so "40 %" means about four in ten such customers leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from contactcenter.analytics import features
from contactcenter.analytics.features import FEATURES, ContactEvent, FeatureTable, OrderRow
from contactcenter.errors import DomainError

CHURN_VERSION = "churn-lr-1"
WINDOW_WEEKS = 26.0
TOP_REASONS = 3
MIN_CUSTOMERS = 40
CALIBRATION_BINS = 5
# Risk bands shown beside the probability.
BANDS: tuple[tuple[float, str], ...] = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))
REASON_TEXT = {
    "recency_days": "no purchase for {v:.0f} days",
    "purchases": "only {v:.0f} purchases",
    "avg_order_value": "small orders ({v:.0f} on average)",
    "tenure_days": "a customer for only {v:.0f} days",
    "calls_90d": "{v:.0f} calls in 90 days",
    "repeat_calls_90d": "{v:.0f} repeat calls in 90 days",
    "abandons_90d": "{v:.0f} abandoned calls in 90 days",
    "complaints_90d": "{v:.0f} complaints in 90 days",
    "low_csat_90d": "{v:.0f} low satisfaction answers in 90 days",
    "sla_breaches_90d": "{v:.0f} tickets past their SLA",
}


# The sentence of each reason says "more of this, more risk" or "less of this, more risk"; a
# contribution is a reason only where the fitted weight points the way its sentence does (and a
# count is shown only when there was something to count), so no customer reads "0 calls".
LESS_IS_RISK = frozenset({"purchases", "avg_order_value", "tenure_days"})


def _says_it(feature: str, weight: float, value: float) -> bool:
    if feature in LESS_IS_RISK:
        return weight < 0
    return weight > 0 and value > 0


class ChurnError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="churn_not_computable", kind="unprocessable")


def _log_counts(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.log1p(np.maximum(x, 0.0))


def _pipeline() -> Pipeline:
    return make_pipeline(FunctionTransformer(_log_counts), StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


@dataclass
class ChurnModel:
    columns: tuple[str, ...]
    calibrated: CalibratedClassifierCV
    explainer: Pipeline  # the same pipeline fitted on all the training rows, for contributions

    def predict(self, table: FeatureTable) -> np.ndarray[Any, Any]:
        return np.asarray(self.calibrated.predict_proba(self._x(table))[:, 1])

    def _x(self, table: FeatureTable) -> np.ndarray[Any, Any]:
        return table.values[:, [FEATURES.index(c) for c in self.columns]]

    def reasons(self, table: FeatureTable, top: int = TOP_REASONS) -> list[list[dict[str, Any]]]:
        """Each customer's largest positive contributions to the log-odds, with a sentence."""
        x = self._x(table)
        transform = self.explainer[:-1]
        coef = self.explainer[-1].coef_[0]
        contributions = np.asarray(transform.transform(x)) * coef
        out: list[list[dict[str, Any]]] = []
        for row, raw in zip(contributions, x, strict=True):
            said = [j for j in np.argsort(-row) if row[j] > 0 and _says_it(self.columns[j], coef[j], raw[j])]
            out.append(
                [
                    {
                        "feature": self.columns[j],
                        "weight": round(float(row[j]), 3),
                        "text": REASON_TEXT[self.columns[j]].format(v=float(raw[j])),
                    }
                    for j in said[:top]
                ]
            )
        return out

    def coefficients(self) -> dict[str, float]:
        return {c: round(float(w), 4) for c, w in zip(self.columns, self.explainer[-1].coef_[0], strict=True)}


def fit(table: FeatureTable, labels: np.ndarray[Any, Any], columns: tuple[str, ...] = FEATURES) -> ChurnModel:
    smaller_class = int(min(labels.sum(), len(labels) - labels.sum())) if len(labels) else 0
    if len(labels) < MIN_CUSTOMERS or smaller_class < 2:
        raise ChurnError(
            f"churn needs at least {MIN_CUSTOMERS} customers with orders, some who bought again and some who did not"
        )
    x = table.values[:, [FEATURES.index(c) for c in columns]]
    folds = min(5, smaller_class)  # each fold of the calibration needs both kinds of customer
    calibrated = CalibratedClassifierCV(_pipeline(), method="sigmoid", cv=folds).fit(x, labels)
    explainer = _pipeline().fit(x, labels)
    return ChurnModel(columns, calibrated, explainer)


def band(probability: float) -> str:
    return next(label for cut, label in BANDS if probability >= cut)


def precision_at_top(labels: np.ndarray[Any, Any], scores: np.ndarray[Any, Any], fraction: float = 0.1) -> float:
    """Share of churners among the highest-scored `fraction` of customers."""
    n = max(1, int(round(len(scores) * fraction)))
    top = np.argsort(-scores, kind="stable")[:n]
    return float(labels[top].mean())


def calibration_table(labels: np.ndarray[Any, Any], probs: np.ndarray[Any, Any]) -> list[dict[str, float]]:
    """Mean predicted against observed churn in equal-count bins of the predictions."""
    order = np.argsort(probs, kind="stable")
    rows = []
    for chunk in np.array_split(order, CALIBRATION_BINS):
        if len(chunk):
            rows.append(
                {
                    "customers": int(len(chunk)),
                    "predicted": round(float(probs[chunk].mean()), 3),
                    "observed": round(float(labels[chunk].mean()), 3),
                }
            )
    return rows


@dataclass
class Scorecard:
    auc: float
    precision_top_decile: float
    brier: float
    calibration: list[dict[str, float]] = field(default_factory=list)

    @classmethod
    def of(cls, labels: np.ndarray[Any, Any], probs: np.ndarray[Any, Any]) -> Scorecard:
        return cls(
            auc=round(float(roc_auc_score(labels, probs)), 4),
            precision_top_decile=round(precision_at_top(labels, probs), 4),
            brier=round(float(brier_score_loss(labels, probs)), 4),
            calibration=calibration_table(labels, probs),
        )


@dataclass
class ChurnEvaluation:
    train_cutoff: datetime
    test_cutoff: datetime
    window_weeks: float
    train_customers: int
    test_customers: int
    churn_rate: float
    model: Scorecard
    baseline: Scorecard  # recency only
    coefficients: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["train_cutoff"] = self.train_cutoff.isoformat()
        data["test_cutoff"] = self.test_cutoff.isoformat()
        data["model"] = dict(self.model.__dict__)
        data["baseline"] = dict(self.baseline.__dict__)
        return data


def evaluate(
    orders: Sequence[OrderRow], events: list[ContactEvent], end: datetime, window_weeks: float = WINDOW_WEEKS
) -> ChurnEvaluation:
    """Train at end − 2 windows (labels from the window after it), test at end − 1 window
    (labels from the last window): the test labels are never seen while fitting."""
    window = timedelta(weeks=window_weeks)
    train_at, test_at = end - 2 * window, end - window
    train = features.build(orders, events, train_at)
    test = features.build(orders, events, test_at)
    y_train = features.churned(orders, train.customer_ids, train_at, window)
    y_test = features.churned(orders, test.customer_ids, test_at, window)
    if len(y_test) < MIN_CUSTOMERS or y_test.min() == y_test.max():
        raise ChurnError("too few customers with orders before the test cutoff to evaluate churn")
    model = fit(train, y_train)
    baseline = fit(train, y_train, columns=("recency_days",))
    return ChurnEvaluation(
        train_cutoff=train_at,
        test_cutoff=test_at,
        window_weeks=window_weeks,
        train_customers=len(y_train),
        test_customers=len(y_test),
        churn_rate=round(float(y_test.mean()), 4),
        model=Scorecard.of(y_test, model.predict(test)),
        baseline=Scorecard.of(y_test, baseline.predict(test)),
        coefficients=model.coefficients(),
    )
