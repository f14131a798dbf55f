"""Desktop first paint with the pop: from the ACD's offer to the customer's name painted in Chromium.

    python bench/desktop_paint.py --reuse                    # reuse the schema bench/screen_pop.py seeded
    python bench/desktop_paint.py --customers 20000 --tickets 100000 --calls 100 --json

bench/screen_pop.py times the data path (offer event on a Socket.IO client, then the snapshot);
this one times what the agent sees. The same seeded CRM store (PostgreSQL) and the same gunicorn
server; the agent's real desktop page in headless Chromium (/usr/bin/chromium, or CHROMIUM). For
each call a known customer is enqueued; the page, told by its socket, fetches the snapshot and
draws the offer; a MutationObserver notes the moment the caller's name is in the offer card and the
next animation frame marks the paint. The clock runs from just before the enqueue (wall clock, the
page and this script share the machine) to that frame. The page then rejects and goes available
again, outside the measured span. Goal: p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import redis  # noqa: E402
import screen_pop  # noqa: E402
import store  # noqa: E402
from _support import REDIS_URL, gunicorn, percentile  # noqa: E402

GOAL_P95_MS = 300.0
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Resolves with the wall-clock time (ms) of the first frame painted with `name` in the offer card.
WATCH = """(name) => { window.paintedAt = new Promise((resolve) => {
  const card = document.getElementById("offer-pop");
  const seen = () => { const h = card.querySelector(".customer-name");
    return h && h.textContent.startsWith(name) && !document.getElementById("offer").hidden; };
  const done = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
  if (seen()) { done(); return; }
  const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); done(); } });
  observer.observe(document.getElementById("offer").parentNode, { subtree: true, childList: true, attributes: true });
}); }"""


def measure(url: str, base: str, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from contactcenter.acd.models import Queue
    from contactcenter.acd.realtime import RealtimeACD
    from contactcenter.acd.services import AcdService
    from contactcenter.db import make_engine

    engine = make_engine(url)
    acd = RealtimeACD(redis.Redis.from_url(REDIS_URL))
    spans: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(base + "/login")
            page.fill("input[name=username]", "bench-agent")
            page.fill("input[name=password]", screen_pop.PASSWORD)
            page.click("button[type=submit]")
            page.goto(base + "/desktop")
            page.wait_for_function("document.getElementById('connection').textContent === 'live'")
            page.click("button[data-state=available]")
            page.wait_for_function("document.getElementById('state').dataset.state === 'available'")
            with Session(engine) as session:
                queue = session.scalar(select(Queue).where(Queue.name == screen_pop.QUEUE))
                service = AcdService(session, acd)
                service.sync_configuration()
                for i in range(args.calls + args.warmup):
                    call, customer = screen_pop._caller(session, rng, args.customers, True)
                    page.evaluate(WATCH, customer.name)
                    started = time.time() * 1000
                    service.enqueue(call, queue)
                    session.commit()
                    painted = page.evaluate("window.paintedAt")
                    if i >= args.warmup:
                        spans.append(painted - started)
                    page.evaluate(
                        """async () => { const o = window.Desktop.offer();
                           if (o) { await window.Desktop.post(`/desktop/offers/${o.offer_id}/reject`); } }"""
                    )
                    service.call_ended(call)  # the caller hangs up: out of the queue for good
                    session.commit()
                    page.evaluate("window.Desktop.setState('available')")
                    page.wait_for_function("document.getElementById('state').dataset.state === 'available'")
        finally:
            browser.close()
            engine.dispose()
    return {
        "calls": len(spans),
        "p50_ms": round(percentile(spans, 50), 1),
        "p95_ms": round(percentile(spans, 95), 1),
        "p99_ms": round(percentile(spans, 99), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=100, help="measured calls")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--comments", type=int, default=0, help="ticket comments to seed too (as bench/store.py)")
    parser.add_argument("--reuse", action="store_true", help="keep (or reuse) the seeded schema, as bench/store.py")
    parser.add_argument("--drop", action="store_true", help="with --reuse: drop the kept schema at the end")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if min(args.customers, args.tickets, args.calls) < 1 or args.warmup < 0:
        parser.error("sizes must be positive")

    redis.Redis.from_url(REDIS_URL).flushdb()
    with store._schema(args) as (url, fresh):
        if fresh:
            store.seed(
                url, args.customers, args.tickets, random.Random(args.seed), quiet=args.json, comments=args.comments
            )
            store._mark_seeded(url)
        screen_pop._prepare(url)
        env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench-desktop-paint", "CARRIER": "simulator"}
        with gunicorn(env, workers=1, threads=16) as base:
            figures = measure(url, base, args, random.Random(f"{args.seed}-paint"))
    redis.Redis.from_url(REDIS_URL).flushdb()
    figures |= {"customers": args.customers, "tickets": args.tickets, "goal_p95_ms": GOAL_P95_MS}
    figures["meets_goal"] = figures["p95_ms"] <= GOAL_P95_MS
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"desktop first paint with the pop: {args.customers:,} customers, {args.tickets:,} tickets")
        print(
            f"  offer to painted name  p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms"
            f"  p99 {figures['p99_ms']:7.1f} ms  ({figures['calls']} calls)"
        )
        print(f"  goal p95 ≤ {GOAL_P95_MS:.0f} ms: {'meets' if figures['meets_goal'] else 'MISSES'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
