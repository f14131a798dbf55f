"""The CRM store at size: caller-number lookup and full-text ticket search latency on PostgreSQL.

    python bench/store.py                                   # 200,000 customers, 1,000,000 tickets
    python bench/store.py --customers 20000 --tickets 100000 --json
    python bench/store.py --reuse                           # seed once, keep the schema, reuse it
    BENCH_DATABASE_URL=postgresql://user@host/db python bench/store.py

Works in a scratch schema of its own (created, migrated to head, dropped at the end). With
`--reuse` the schema is named after the sizes and the seed and kept: a later run with the same
sizes only migrates it to head (so new indexes are built over the data) and measures again;
`--drop` removes it afterwards. Seeding uses
COPY through psycopg, with the migration's indexes (unique phone numbers, the GIN full-text index)
in place, so index maintenance is part of the seeding time; then ANALYZE.

Measured (each query alone, one connection, client-side, ORM session included):
- lookup: `contactcenter.contacts.customers.find_by_phone` with a caller number in one of several
  formats (E.164, "(415) 201-0001", "415-201-0001", "1 415 201 0001", "415.201.0001"); one in ten
  numbers belongs to nobody. Goal p95 ≤ 5 ms.
- search: `contactcenter.tickets.search.search_tickets` (first page of 25), queries of one common
  word, two common words, a prefix of a common word, or a rare order reference. Goal p95 ≤ 200 ms.
- views: what the ticket views page asks for (`contactcenter.tickets.views`): the counts of every
  view, and a first and a next page of one view, for agents (their queues and assignments) and
  supervisors (everything). The tickets are spread over 20 queues; 200 agents are members of 3
  queues each; about 9 % of the tickets are still being worked on (the rest solved or closed), a
  fifth are unassigned, queues and assignees drawn at random; every ticket still being worked has a
  first-response and a resolution clock, due from 6 hours ago to 3 days ahead. Goal p95 ≤ 150 ms for
  each (counts: all seven counts together).
Ticket texts draw words from a 2,000-word vocabulary with a Zipf-like skew (so the commonest words
occur in several percent of tickets) plus an order reference unique to each ticket. Comments are
not seeded by default (the comment side of the search is then an empty index); `--comments N`
adds N comments on random tickets, drawn from the same vocabulary without order references.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datetime import UTC

from _support import drop_schema, kept_schema, percentile, scratch_schema, summary  # noqa: E402

AREAS = ("415", "212", "646", "312", "617", "303", "206", "512", "404", "305")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
# A help desk with a million tickets has most of them done: about 9 % still being worked on.
STATUS_WEIGHTS = (2, 4, 2, 1, 20, 71)
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
GOALS_MS = {"lookup": 5.0, "search": 200.0, "view_counts": 150.0, "view_page": 150.0}
QUEUES, AGENTS, SUPERVISORS = 20, 200, 5
BATCH = 20_000


def phone(i: int) -> tuple[str, str, str, str]:
    """The i-th customer's number as (area, exchange, line, e164); unique for i < 8,000,000."""
    area = AREAS[i % len(AREAS)]
    rest = i // len(AREAS)
    exchange, line = 201 + rest // 10_000, rest % 10_000
    return area, str(exchange), f"{line:04d}", f"+1{area}{exchange}{line:04d}"


def formats(area: str, exchange: str, line: str) -> list[str]:
    return [
        f"+1{area}{exchange}{line}",
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"1 {area} {exchange} {line}",
        f"{area}.{exchange}.{line}",
    ]


def vocabulary(rng: random.Random, size: int = 2000) -> list[str]:
    syllables = ["ka", "lo", "mi", "re", "ta", "vo", "su", "ne", "pi", "do", "ra", "ze", "bu", "fi", "go", "ly"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int, quiet: bool = False) -> None:
        self.label, self.total, self.done, self.quiet = label, total, 0, quiet
        self.started = time.perf_counter()

    def advance(self, n: int) -> None:
        self.done += n
        if self.quiet:
            return
        share = self.done / self.total if self.total else 1.0
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed else 0.0
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r{self.label:<10} [{bar:<30}] {self.done:>9,}/{self.total:,} {rate:>9,.0f}/s")
        if self.done >= self.total:
            sys.stderr.write(f"  {elapsed:.1f}s\n")
        sys.stderr.flush()


def _copy(conn: Any, sql: str, rows: Iterator[tuple[Any, ...]], progress: Progress) -> None:
    with conn.cursor() as cur:
        with cur.copy(sql) as copy:
            for n, row in enumerate(rows, 1):
                copy.write_row(row)
                if n % BATCH == 0:
                    progress.advance(BATCH)
            progress.advance(progress.total - progress.done)


def seed(
    url: str, customers: int, tickets: int, rng: random.Random, quiet: bool, comments: int = 0
) -> tuple[list[str], float]:
    from datetime import datetime, timedelta

    import psycopg

    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:

        def customer_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(1, customers + 1):
                at = t0 + timedelta(minutes=i)
                yield (
                    i,
                    f"{rng.choice(words).title()} {rng.choice(words).title()}",
                    f"c{i}@example.com",
                    "standard",
                    "{}",
                    at,
                    at,
                )

        _copy(
            conn,
            "COPY customers (id, name, email, segment, attributes, created_at, updated_at) FROM STDIN",
            customer_rows(),
            Progress("customers", customers, quiet),
        )
        _copy(
            conn,
            "COPY customer_phones (id, customer_id, e164, label) FROM STDIN",
            ((i, i, phone(i)[3], "mobile") for i in range(1, customers + 1)),
            Progress("phones", customers, quiet),
        )

        def ticket_rows() -> Iterator[tuple[Any, ...]]:
            chunk: list[str] = []
            for i in range(1, tickets + 1):
                if not chunk:
                    chunk = rng.choices(words, weights, k=24 * 1000)
                text_words, chunk = chunk[:24], chunk[24:]
                at = t0 + timedelta(seconds=30 * i)
                yield (
                    i,
                    " ".join(text_words[:5]).capitalize(),
                    " ".join(text_words[5:]) + f" ord{i:07d}",
                    rng.choices(STATUSES, STATUS_WEIGHTS)[0],
                    rng.choice(PRIORITIES),
                    "phone",
                    rng.randint(1, customers),
                    "[]",
                    at,
                    at,
                )

        _copy(
            conn,
            "COPY tickets (id, subject, description, status, priority, channel, customer_id, tags, "
            "created_at, updated_at) FROM STDIN",
            ticket_rows(),
            Progress("tickets", tickets, quiet),
        )
        if comments:
            comment_rng = random.Random(rng.random())  # the tickets above stay as without comments

            def comment_rows() -> Iterator[tuple[Any, ...]]:
                chunk: list[str] = []
                for i in range(1, comments + 1):
                    if not chunk:
                        chunk = comment_rng.choices(words, weights, k=12 * 1000)
                    body, chunk = chunk[:12], chunk[12:]
                    yield (
                        i,
                        comment_rng.randint(1, tickets),
                        "agent",
                        comment_rng.random() < 0.5,
                        " ".join(body).capitalize(),
                        t0 + timedelta(seconds=30 * i),
                    )

            _copy(
                conn,
                "COPY ticket_comments (id, ticket_id, author_kind, public, body, created_at) FROM STDIN",
                comment_rows(),
                Progress("comments", comments, quiet),
            )
        _seed_people_and_clocks(conn, url)
        conn.commit()
        conn.autocommit = True
        for table in ("customers", "customer_phones", "tickets", "ticket_comments", "ticket_slas", "queue_memberships"):
            conn.execute(f"ANALYZE {table}")
        for table, column in (
            ("customers", "id"),
            ("customer_phones", "id"),
            ("tickets", "id"),
            ("ticket_comments", "id"),
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))"
            )
    return words, time.perf_counter() - started


def _seed_people_and_clocks(conn: Any, url: str) -> None:
    """Queues, agents and supervisors; each ticket's queue and assignee; SLA clocks for the tickets
    still being worked (their deadlines spread from 6 hours ago to 3 days ahead of the real now,
    so "breaching soon" holds a realistic slice)."""
    from datetime import datetime

    from contactcenter.accounts.models import User
    from contactcenter.acd.models import Queue, QueueMembership
    from contactcenter.db import make_engine, make_sessionmaker, transaction

    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            session.add_all(Queue(id=q, name=f"queue{q}", display_name=f"Queue {q}") for q in range(1, QUEUES + 1))
            session.add_all(
                User(
                    id=u,
                    username=f"user{u}",
                    display_name=f"User {u}",
                    password_hash="x",
                    role="agent" if u <= AGENTS else "supervisor",
                )
                for u in range(1, AGENTS + SUPERVISORS + 1)
            )
            session.flush()
            session.add_all(
                QueueMembership(queue_id=1 + (u + 7 * k) % QUEUES, user_id=u)
                for u in range(1, AGENTS + 1)
                for k in range(3)
            )
    finally:
        engine.dispose()
    conn.execute("SELECT setseed(0.42)")  # the same queues and assignees on every seeding
    conn.execute(
        "UPDATE tickets SET queue_id = 1 + floor(random() * %s)::int, "
        "assignee_id = CASE WHEN random() < 0.2 THEN NULL ELSE 1 + floor(random() * %s)::int END",
        (QUEUES, AGENTS),
    )
    # Two clocks per active ticket; deadline offset in minutes from -360 to +4320, by ticket id.
    for metric, target_s, spread in (("first_response", 4 * 3600, 0), ("resolution", 48 * 3600, 2880)):
        conn.execute(
            "INSERT INTO ticket_slas (ticket_id, metric, cycle, target_s, business_hours, state, started_at, "
            "elapsed_s, deadline_at, warn_at, unanswered, computed_at) "
            "SELECT id, %s, 0, %s, false, 'running', created_at, 0, "
            "%s::timestamptz + make_interval(mins => ((id * 37) %% 4680) - 360 + %s), NULL, false, %s "
            "FROM tickets WHERE status IN ('new', 'open', 'pending', 'on_hold')",
            (metric, target_s, now, spread, now),
        )
    conn.execute(  # what `sla.recompute` keeps on each ticket: its soonest running deadline
        "UPDATE tickets SET sla_due_at = d.due FROM (SELECT ticket_id, min(deadline_at) AS due FROM ticket_slas "
        "WHERE state = 'running' GROUP BY ticket_id) d WHERE d.ticket_id = tickets.id"
    )
    for table in ("queues", "users", "queue_memberships", "ticket_slas"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def measure_views(session: Any, rng: random.Random, queries: int) -> dict[str, list[float]]:
    """Latencies of the ticket views page's queries: all counts, a first page, the next page."""
    from contactcenter.tickets import views
    from contactcenter.tickets.access import Viewer

    viewers = [Viewer(rng.randint(1, AGENTS), "agent") for _ in range(queries // 2)] + [
        Viewer(AGENTS + rng.randint(1, SUPERVISORS), "supervisor") for _ in range(queries - queries // 2)
    ]
    rng.shuffle(viewers)
    keys = [rng.choice(views.VIEW_KEYS) for _ in viewers]
    out: dict[str, list[float]] = {"view_counts": [], "view_page": [], "view_next_page": []}
    for n, (viewer, key) in enumerate(zip(viewers, keys, strict=True)):
        began = time.perf_counter()
        views.counts(session, viewer)
        counted = time.perf_counter()
        first = views.page(session, viewer, key, limit=50)
        paged = time.perf_counter()
        if first.next_key is not None:
            views.page(session, viewer, key, after=first.next_key, limit=50)
        done = time.perf_counter()
        session.rollback()
        if n < 10:
            continue  # warm the connection and the caches a little
        out["view_counts"].append(counted - began)
        out["view_page"].append(paged - counted)
        if first.next_key is not None:
            out["view_next_page"].append(done - paged)
    return out


SEEDED_MARK = "bench_store_seeded"


@contextmanager
def _schema(args: argparse.Namespace) -> Iterator[tuple[str, bool]]:
    """(url, fresh): a throw-away schema, or with --reuse one kept between runs of the same sizes."""
    if not args.reuse:
        with scratch_schema(f"bench_store_{os.getpid()}") as url:
            yield url, True
        return
    name = f"bench_store_v3_c{args.customers}_t{args.tickets}_s{args.seed}" + (
        f"_m{args.comments}" if args.comments else ""
    )
    with kept_schema(name) as (url, fresh):
        if not fresh and not _is_seeded(url):  # an earlier run stopped while seeding
            drop_schema(name)
            with kept_schema(name) as (url, fresh):
                yield url, fresh
        else:
            yield url, fresh
    if args.drop:
        drop_schema(name)


def _analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        for table in ("customers", "customer_phones", "tickets", "ticket_slas"):
            conn.execute(f"ANALYZE {table}")


def _is_seeded(url: str) -> bool:
    from sqlalchemy import inspect

    from contactcenter.db import make_engine

    engine = make_engine(url)
    try:
        return SEEDED_MARK in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _mark_seeded(url: str) -> None:
    from sqlalchemy import text

    from contactcenter.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS {SEEDED_MARK} (seeded_at timestamptz DEFAULT now())"))
            conn.execute(text(f"INSERT INTO {SEEDED_MARK} DEFAULT VALUES"))
    finally:
        engine.dispose()


def timed(queries: list[Any], run: Callable[[Any], Any]) -> tuple[list[float], int]:
    latencies, hits = [], 0
    for q in queries[:20]:  # warm the connection and the caches a little
        run(q)
    for q in queries:
        began = time.perf_counter()
        found = run(q)
        latencies.append(time.perf_counter() - began)
        hits += bool(found)
    return latencies, hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=0, help="comments on random tickets (default none)")
    parser.add_argument("--queries", type=int, default=500, help="queries per measure")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the seeded schema and reuse it on the next run with the same sizes"
    )
    parser.add_argument("--drop", action="store_true", help="with --reuse: drop the kept schema at the end")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.tickets < 1 or args.queries < 1:
        parser.error("--customers, --tickets and --queries must be positive")
    if args.comments < 0:
        parser.error("--comments cannot be negative")
    if args.drop and not args.reuse:
        parser.error("--drop goes with --reuse (a throw-away schema is always dropped)")

    from sqlalchemy.orm import Session

    from contactcenter.contacts.customers import find_by_phone
    from contactcenter.db import make_engine
    from contactcenter.tickets.search import search_tickets

    # Queries come from a generator of their own, so a run on a reused schema measures the
    # same queries as the run that seeded it.
    rng = random.Random(f"{args.seed}-queries")
    with _schema(args) as (url, fresh):
        reused = not fresh
        if fresh:
            words, seed_s = seed(
                url, args.customers, args.tickets, random.Random(args.seed), quiet=args.json, comments=args.comments
            )
            _mark_seeded(url)
        else:
            words, seed_s = vocabulary(random.Random(args.seed)), 0.0  # seed() draws it first
            _analyze(url)  # a migration may have just filled a column (autovacuum would, later)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                numbers = []
                for _ in range(args.queries):
                    i = rng.randint(1, args.customers) if rng.random() < 0.9 else args.customers + rng.randint(1, 10**5)
                    area, exchange, line, _e164 = phone(i)
                    numbers.append(rng.choice(formats(area, exchange, line)))
                lookup, lookup_hits = timed(numbers, lambda n: find_by_phone(session, n))
                session.rollback()
                common = words[:50]
                searches = []
                for _ in range(args.queries):
                    kind = rng.random()
                    if kind < 0.3:
                        searches.append(rng.choice(common))
                    elif kind < 0.6:
                        searches.append(f"{rng.choice(common)} {rng.choice(words[:300])}")
                    elif kind < 0.8:
                        searches.append(rng.choice(words[:300])[:3])
                    else:
                        searches.append(f"ord{rng.randint(1, args.tickets):07d}")
                search, search_hits = timed(searches, lambda q: search_tickets(session, q).items)
                session.rollback()
                view_times = measure_views(session, random.Random(f"{args.seed}-views"), args.queries)
        finally:
            engine.dispose()
    figures: dict[str, Any] = {
        "customers": args.customers,
        "tickets": args.tickets,
        "seed_s": round(seed_s, 1),
        "reused_schema": reused,
        "lookup": {
            **summary(lookup),
            "p95_ms": round(percentile([v * 1000 for v in lookup], 95), 2),
            "found": lookup_hits,
            "goal_p95_ms": GOALS_MS["lookup"],
        },
        "search": {
            **summary(search),
            "p95_ms": round(percentile([v * 1000 for v in search], 95), 2),
            "with_results": search_hits,
            "goal_p95_ms": GOALS_MS["search"],
        },
    }
    for name, latencies in view_times.items():
        figures[name] = {
            **summary(latencies),
            "p95_ms": round(percentile([v * 1000 for v in latencies], 95), 2),
            "goal_p95_ms": GOALS_MS["view_page" if name == "view_next_page" else name],
        }
    for name in ("lookup", "search", *view_times):
        figures[name]["meets_goal"] = figures[name]["p95_ms"] <= figures[name]["goal_p95_ms"]
    if args.json:
        print(json.dumps(figures))
    else:
        seeded = "reused a seeded schema" if reused else f"seeded in {seed_s:.1f}s"
        print(f"store: {args.customers:,} customers, {args.tickets:,} tickets, {seeded}")
        for name, label in (
            ("lookup", "customer lookup by caller number"),
            ("search", "full-text ticket search"),
            ("view_counts", "ticket views: the seven counts"),
            ("view_page", "ticket views: first page of 50"),
            ("view_next_page", "ticket views: next page (cursor)"),
        ):
            f = figures[name]
            verdict = "meets" if f["meets_goal"] else "MISSES"
            print(
                f"{label:<34} n={f['count']} p50 {f['p50_ms']} ms  p95 {f['p95_ms']} ms  p99 {f['p99_ms']} ms  "
                f"({verdict} the {f['goal_p95_ms']:g} ms goal)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
