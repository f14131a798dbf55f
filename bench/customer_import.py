"""Customer CSV import at size: rows per second for a 50,000-row file, new and then as updates.

    python bench/customer_import.py                       # 50,000 rows on a SQLite file
    python bench/customer_import.py --rows 20000 --json
    python bench/customer_import.py --postgresql          # in a scratch PostgreSQL schema
    BENCH_DATABASE_URL=postgresql://user@host/db python bench/customer_import.py --postgresql

Runs `contactcenter.contacts.csv_import.run` as the import job does (one transaction), on a
generated file: names, e-mail addresses, one or two US/UK numbers in mixed formats, segments,
companies, time zones, and one row in a hundred invalid (a bad number or address) so the
rejection path is measured too. Reported:
- baseline: reading and splitting the same file with the csv module alone (the floor);
- import: every row new (customers and numbers inserted);
- re-import: the same file again, every valid row matching its customer (updates).
Each with rows per second and the time spent in each phase (reading, checking, writing).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import scratch_schema  # noqa: E402
from contactcenter.contacts import csv_import  # noqa: E402
from contactcenter.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from contactcenter.migrate import upgrade  # noqa: E402

SEGMENTS = ("standard", "standard", "standard", "silver", "gold", "vip")
AREAS = (212, 213, 312, 415, 617, 646, 702, 718)
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "")


def generate(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "phone", "segment", "company", "time_zone", "account"])
    for i in range(rows):
        area, line = AREAS[i % len(AREAS)], i // len(AREAS)
        number = f"{area}-{201 + line // 10000:03d}-{line % 10000:04d}"
        formats = (f"({area}) {number[4:]}", f"+1 {number}", number.replace("-", " "))
        phone = rng.choice(formats)
        if i % 7 == 0:
            phone += f"; +44 20 3{i:07d}"
        email = f"customer{i}@example{i % 50}.com"
        if i % 100 == 42:
            email = "not-an-address"
        if i % 100 == 77:
            phone = "12"
        writer.writerow(
            [
                f"Customer {i} {rng.choice(['Smith', 'Jones', 'Garcia', 'Chen', 'Okafor'])}",
                email,
                phone,
                rng.choice(SEGMENTS),
                f"Company {i % 900}",
                rng.choice(ZONES),
                f"A-{i}",
            ]
        )
    return out.getvalue().encode()


def baseline(data: bytes) -> float:
    started = time.perf_counter()
    count = sum(1 for _ in csv.reader(io.StringIO(data.decode(), newline="")))
    assert count > 0
    return time.perf_counter() - started


def one_run(factory: Any, data: bytes) -> dict[str, Any]:
    phases: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(phase: str, done: int, total: int) -> None:
        # The time since the previous report was spent on this phase.
        now = time.perf_counter()
        phases[phase] = phases.get(phase, 0.0) + now - float(last[0])
        last[0], last[1] = now, phase

    started = time.perf_counter()
    with transaction(factory) as session:
        record = csv_import.create(session, data, filename="bench.csv")
        report = csv_import.run(session, record, progress=progress)
    elapsed = time.perf_counter() - started
    return {
        "rows": report.total_rows,
        "accepted": report.accepted,
        "updated": report.updated,
        "rejected": report.rejected,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(report.total_rows / elapsed),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgresql", action="store_true", help="a scratch PostgreSQL schema instead of SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = generate(args.rows)

    def measure(url: str) -> dict[str, Any]:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_sessionmaker(engine)
        try:
            return {
                "database": engine.dialect.name,
                "file_mb": round(len(data) / 1e6, 2),
                "baseline_csv_only": {"seconds": round(b := baseline(data), 3), "rows_per_s": round(args.rows / b)},
                "import": one_run(factory, data),
                "re_import": one_run(factory, data),
            }
        finally:
            engine.dispose()

    if args.postgresql:
        with scratch_schema(f"bench_customer_import_{args.rows}") as url:
            result = measure(url)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = measure(f"sqlite:///{folder}/bench.db")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['database']}, {args.rows:,} rows ({result['file_mb']} MB)")
    print(f"  baseline (csv module only): {result['baseline_csv_only']['rows_per_s']:,} rows/s")
    for label in ("import", "re_import"):
        r = result[label]
        print(
            f"  {label:9}: {r['seconds']} s, {r['rows_per_s']:,} rows/s "
            f"(accepted {r['accepted']:,}, updated {r['updated']:,}, rejected {r['rejected']:,}); "
            f"phases {r['phases_s']}"
        )


if __name__ == "__main__":
    main()
