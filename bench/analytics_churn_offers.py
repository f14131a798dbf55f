"""Churn risk and next-best offers at size: the recompute, the evaluation against baselines, and
what they add to the screen pop's read.

    python bench/analytics_churn_offers.py                          # 20,000 customers, SQLite file
    python bench/analytics_churn_offers.py --customers 5000 --json
    python bench/analytics_churn_offers.py --postgresql             # in a scratch PostgreSQL schema
    python bench/analytics_churn_offers.py --keep /tmp/shop.db      # keep the store for the CLI

The history is drawn by `contactcenter.analytics.synthetic` (three years, customers favouring a
category) with calls from `synthetic_contacts` (leavers call in trouble after their last order).
Reported:
- recompute: `risk_and_offers.recompute` as the worker runs it (fit churn on the last closed
  window, score everyone active, fit the item model and keep each buyer's offers);
- evaluate: churn (ROC AUC, precision at the top decile, Brier) against recency alone, offers
  (precision@k, recall@k) against popularity, as `contactcenter analytics evaluate` prints them;
- read: what the screen pop adds for analytics — `customer_figures` (one indexed query for every
  model's row) and `live_offers` (the stored offers still in stock, one query) — p50/p95/p99 for
  random customers, against reading one customer row by primary key. Target: p95 ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bench._support import customer_reads, scratch_schema  # noqa: E402
from contactcenter.analytics import risk_and_offers, services, synthetic, synthetic_contacts  # noqa: E402
from contactcenter.analytics.offer_responses import live_offers  # noqa: E402
from contactcenter.contacts.models import Customer  # noqa: E402
from contactcenter.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from contactcenter.migrate import upgrade  # noqa: E402

READS = 2000
END = datetime(2026, 12, 1, tzinfo=UTC)


def _pop_read(session: Any, cid: int) -> None:
    """What the screen pop reads of analytics: the stored figures and the offers still in stock."""
    figures = services.customer_figures(session, cid)
    if figures is not None:
        live_offers(session, list(figures.offer_candidates))


def measure(url: str, customers: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    try:
        history = synthetic.generate(customers, end=END, weeks=156, acquisition_weeks=78, category_affinity=0.8, seed=2)
        calls = synthetic_contacts.contacts(history, seed=2)
        with transaction(factory) as session:
            rows = [{"name": f"Bench {i}", "segment": "standard", "attributes": {}} for i in range(customers)]
            for start in range(0, len(rows), 5000):
                session.execute(insert(Customer), rows[start : start + 5000])
            ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
            orders = services.store_history(session, history, ids, currency="USD", prefix="B")
            stored_calls = synthetic_contacts.store_calls(session, history, calls, ids, prefix="B")
        with transaction(factory) as session:
            services.recompute(session, as_of=END)
            report = risk_and_offers.recompute(session, as_of=END)
        with factory() as session:
            t0 = time.perf_counter()
            evaluation = risk_and_offers.evaluate(session, end=END)
            evaluated = time.perf_counter() - t0
        return {
            "database": engine.dialect.name,
            "customers": customers,
            "orders": orders,
            "calls": stored_calls,
            "recompute": report.as_dict(),
            "evaluate_s": round(evaluated, 2),
            "evaluation": evaluation.as_dict(),
            "read": customer_reads(factory, ids, _pop_read, READS, "pop_analytics"),
        }
    finally:
        engine.dispose()


def _print(result: dict[str, Any]) -> None:
    print(f"{result['database']}: {result['customers']} customers, {result['orders']} orders, {result['calls']} calls")
    r = result["recompute"]
    print(f"recompute: churn scored {r['churn_scored']}, offers for {r['offers_scored']} ({r['seconds']} s)")
    e = result["evaluation"]
    if e["churn"]:
        for name in ("model", "baseline"):
            c = e["churn"][name]
            print(f"churn {name}: AUC {c['auc']}, precision top decile {c['precision_top_decile']}, Brier {c['brier']}")
    if e["offers"]:
        for name in ("model", "popularity"):
            print(f"offers {name}: " + ", ".join(f"{k} {v}" for k, v in e["offers"][name].items()))
    print(f"evaluate: {result['evaluate_s']} s")
    print("screen pop analytics read: " + ", ".join(f"{k} {v}" for k, v in result["read"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--postgresql", action="store_true", help="a scratch PostgreSQL schema instead of SQLite")
    parser.add_argument("--keep", type=Path, help="SQLite file to build and keep (for `analytics evaluate`)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        with scratch_schema(f"bench_churn_{args.customers}") as url:
            result = measure(url, args.customers)
    elif args.keep:
        result = measure(f"sqlite:///{args.keep.resolve()}", args.customers)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = measure(f"sqlite:///{folder}/bench.db", args.customers)
    if args.json:
        print(json.dumps(result))
    else:
        _print(result)


if __name__ == "__main__":
    main()
