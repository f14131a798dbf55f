"""Analytics at size: storing a generated order history, recomputing every customer's figures,
and the screen pop's read of them.

    python bench/analytics_recompute.py                          # 20,000 customers, SQLite file
    python bench/analytics_recompute.py --customers 50000 --json
    python bench/analytics_recompute.py --postgresql             # in a scratch PostgreSQL schema

The history is drawn by `contactcenter.analytics.synthetic` (two years, BG/NBD purchases with
seasonality, one to three lines per order). Reported:
- store: writing the orders and lines (bulk inserts), orders per second;
- recompute: `services.recompute` as the job runs it, with its phases (read the orders, fit and
  score, write the rows), and the same figures extrapolated linearly to 200,000 customers at the
  measured orders per customer (and the order lines that implies);
- read: `services.customer_figures` for random customers (what the screen pop adds), p50/p95/p99,
  against the baseline of reading one customer row by primary key in the same run.
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

from sqlalchemy import func, insert, select  # noqa: E402

from bench._support import customer_reads, scratch_schema  # noqa: E402
from contactcenter.analytics import services, synthetic  # noqa: E402
from contactcenter.analytics.models import OrderLine  # noqa: E402
from contactcenter.contacts.models import Customer  # noqa: E402
from contactcenter.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from contactcenter.migrate import upgrade  # noqa: E402

TARGET_CUSTOMERS = 200_000
READS = 2000


def measure(url: str, customers: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        t0 = time.perf_counter()
        history = synthetic.generate(customers, end=end, weeks=104, seasonality=0.3, seed=2)
        generated = time.perf_counter() - t0
        with transaction(factory) as session:
            rows = [{"name": f"Bench {i}", "segment": "standard", "attributes": {}} for i in range(customers)]
            for start in range(0, len(rows), 5000):
                session.execute(insert(Customer), rows[start : start + 5000])
            ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
            t0 = time.perf_counter()
            orders = services.store_history(session, history, ids, currency="USD", prefix="B")
            stored = time.perf_counter() - t0
            lines = session.scalar(select(func.count()).select_from(OrderLine)) or 0
        with transaction(factory) as session:
            report = services.recompute(session, as_of=end)
        scale = TARGET_CUSTOMERS / customers
        return {
            "database": engine.dialect.name,
            "customers": customers,
            "orders": orders,
            "order_lines": lines,
            "generate_s": round(generated, 2),
            "store": {"seconds": round(stored, 2), "orders_per_s": round(orders / stored)},
            "recompute": {"seconds": report.seconds, "phases_s": report.phases_s, "clv_error": report.clv_error},
            "extrapolated_200k": {
                "orders": round(orders * scale),
                "order_lines": round(lines * scale),
                "recompute_s": round(report.seconds * scale, 1),
            },
            "read": customer_reads(factory, ids, services.customer_figures, READS, "figures"),
        }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--postgresql", action="store_true", help="a scratch PostgreSQL schema instead of SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        with scratch_schema(f"bench_analytics_{args.customers}") as url:
            result = measure(url, args.customers)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = measure(f"sqlite:///{folder}/bench.db", args.customers)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    r = result
    print(f"{r['database']}, {r['customers']:,} customers, {r['orders']:,} orders, {r['order_lines']:,} lines")
    print(
        f"  generate: {r['generate_s']} s; store: {r['store']['seconds']} s ({r['store']['orders_per_s']:,} orders/s)"
    )
    print(f"  recompute: {r['recompute']['seconds']} s, phases {r['recompute']['phases_s']}")
    e = r["extrapolated_200k"]
    print(
        f"  at 200,000 customers (~{e['orders']:,} orders, ~{e['order_lines']:,} lines): ~{e['recompute_s']} s"
        " recompute (linear extrapolation)"
    )
    rd = r["read"]
    print(
        f"  screen-pop read of the figures: p50 {rd['figures_p50_ms']} ms, p95 {rd['figures_p95_ms']} ms,"
        f" p99 {rd['figures_p99_ms']} ms (baseline one customer row by key: p95 {rd['baseline_pk_row_p95_ms']} ms)"
    )


if __name__ == "__main__":
    main()
