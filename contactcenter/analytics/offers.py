"""Next-best offer: item-to-item collaborative filtering on who bought what, with the shop's rules.

Two products are alike when the same customers buy both (cosine similarity of their buyer
columns). A customer's candidates are scored by their summed likeness to what the customer owns;
then the rules: nothing already owned, only products in stock and eligible for offers. Judged
offline on a time split — learn from purchases before it, see which new products each customer
bought after — by precision@k and recall@k beside "offer the best sellers" (popularity).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.metrics.pairwise import cosine_similarity

from contactcenter.errors import DomainError

OFFERS_VERSION = "item-cf-1"
OFFERS_KEPT = 6  # stored per customer, so stock changes before the next recompute still leave three
OFFERS_SHOWN = 3
EVAL_KS = (3, 5)
PurchaseRow = tuple[int, datetime, int]  # customer, when, product


class OffersError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="offers_not_computable", kind="unprocessable")


@dataclass
class ItemModel:
    products: list[int]  # column order
    similarity: np.ndarray[Any, Any]  # products × products, zero diagonal
    popularity: np.ndarray[Any, Any]  # buyers per product

    @property
    def index(self) -> dict[int, int]:
        return {p: j for j, p in enumerate(self.products)}


def fit(owned: dict[int, set[int]], products: Sequence[int]) -> ItemModel:
    """`owned`: each customer's products. Products nobody bought get no likeness, only popularity 0."""
    columns = sorted(set(products) | {p for items in owned.values() for p in items})
    index = {p: j for j, p in enumerate(columns)}
    rows, cols = [], []
    for r, items in enumerate(owned.values()):
        for p in items:
            rows.append(r)
            cols.append(index[p])
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(owned), len(columns)))
    if len(columns) == 0:
        raise OffersError("no products to offer")
    similarity = cosine_similarity(matrix.T, dense_output=True) if matrix.nnz else np.zeros((len(columns),) * 2)
    np.fill_diagonal(similarity, 0.0)
    return ItemModel(columns, np.asarray(similarity), np.asarray(matrix.sum(axis=0)).ravel())


def recommend(model: ItemModel, owned: set[int], allowed: set[int], k: int) -> list[tuple[int, float]]:
    """Up to k (product, score) the customer does not own, among `allowed`; ties go to the better seller."""
    index = model.index
    mine = [index[p] for p in owned if p in index]
    scores = model.similarity[mine].sum(axis=0) if mine else np.zeros(len(model.products))
    order = np.lexsort((-model.popularity, -scores))
    out: list[tuple[int, float]] = []
    for j in order:
        product = model.products[int(j)]
        if product in owned or product not in allowed:
            continue
        out.append((product, round(float(scores[j]), 4)))
        if len(out) == k:
            break
    return out


def popular(model: ItemModel, owned: set[int], allowed: set[int], k: int) -> list[int]:
    order = np.argsort(-model.popularity, kind="stable")
    return [
        model.products[int(j)]
        for j in order
        if model.products[int(j)] not in owned and model.products[int(j)] in allowed
    ][:k]


def owned_before(purchases: Sequence[PurchaseRow], until: datetime | None = None) -> dict[int, set[int]]:
    owned: dict[int, set[int]] = defaultdict(set)
    for cid, at, product in purchases:
        if until is None or at < until:
            owned[cid].add(product)
    return dict(owned)


@dataclass
class OfferEvaluation:
    split_at: datetime
    test_weeks: float
    customers: int
    model: dict[str, float] = field(default_factory=dict)  # precision@3, recall@3, ...
    popularity: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["split_at"] = self.split_at.isoformat()
        return data


def evaluate(purchases: Sequence[PurchaseRow], end: datetime, test_weeks: float = 26.0) -> OfferEvaluation:
    """Learn before end − test_weeks; a hit is an offered product the customer first bought after."""
    split = end - timedelta(weeks=test_weeks)
    before = owned_before(purchases, split)
    later: dict[int, set[int]] = defaultdict(set)
    for cid, at, product in purchases:
        if split <= at < end and cid in before and product not in before[cid]:
            later[cid].add(product)
    if not later:
        raise OffersError("no customer bought a new product after the split: nothing to evaluate offers on")
    model = fit(before, sorted({p for _, _, p in purchases}))
    everything = set(model.products)
    sums: dict[str, dict[str, float]] = {"model": defaultdict(float), "popularity": defaultdict(float)}
    for cid, bought in later.items():
        for name, picks in (
            ("model", [p for p, _ in recommend(model, before[cid], everything, max(EVAL_KS))]),
            ("popularity", popular(model, before[cid], everything, max(EVAL_KS))),
        ):
            for k in EVAL_KS:
                hits = len(set(picks[:k]) & bought)
                sums[name][f"precision@{k}"] += hits / k
                sums[name][f"recall@{k}"] += hits / len(bought)
    n = len(later)
    return OfferEvaluation(
        split_at=split,
        test_weeks=test_weeks,
        customers=n,
        model={k: round(v / n, 4) for k, v in sums["model"].items()},
        popularity={k: round(v / n, 4) for k, v in sums["popularity"].items()},
    )
