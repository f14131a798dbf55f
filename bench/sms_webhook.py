"""Inbound text webhook latency at a steady rate, against a trivial endpoint on the same server.

Starts the app under gunicorn (2 workers) on loopback against PostgreSQL (or, with `--sqlite`, a
fresh SQLite file) and Redis; `--customers` handsets then text our number at `--rate` texts per
second in all for `--seconds` (open loop, one text in flight per handset). Every text is a signed
webhook with a new MessageSid: it is checked, parsed, threaded into the customer's open SMS ticket
(the first text of each customer opens one) and committed. The same server's /healthz is then
driven at the same rate as the scale reference. Prints both, the ratio of the p99s, and the web
server's CPU time per request. The goal for texts is p99 ≤ 50 ms at 100/s.

    python bench/sms_webhook.py --rate 100 --seconds 20 [--sqlite] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import REDIS_URL, gunicorn, scratch_schema, summary  # noqa: E402
from ivr_webhook import IDLE_S, _drive, _server_cpu_s, _sqlite_url  # noqa: E402

from contactcenter.config import SIMULATOR_ACCOUNT_SID  # noqa: E402

OUR_NUMBER = "+18005550123"
TEXTS = (
    "Hi, where is my order?",
    "It was due on Monday",
    "Order 1187, thanks",
    "Can I change the delivery address?",
)


def _seed(url: str) -> None:
    from contactcenter.acd.models import Queue
    from contactcenter.db import make_engine, make_sessionmaker, transaction
    from contactcenter.sms.numbers import add_number

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        session.add(Queue(name="support", display_name="Support"))
        session.flush()
        add_number(session, OUR_NUMBER, queue="support")
    engine.dispose()


def _handsets(count: int) -> list[str]:
    return [f"+1415555{index:04d}" for index in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="texts per second (default 100)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--customers", type=int, default=50, help="handsets texting at once")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or not 1 <= args.customers <= 9999:
        parser.error("rate and seconds must be positive, customers 1-9999")

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    lines = itertools.cycle(TEXTS)
    with _sqlite_url() if args.sqlite else scratch_schema("bench_sms") as url:
        _seed(url)
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "CARRIER": "simulator",
            "SECRET_KEY": secrets.token_hex(16),
        }
        with gunicorn(env) as base:

            def text(handset: str, step: int):  # type: ignore[no-untyped-def]
                sid = "SM" + secrets.token_hex(16)
                return "/hooks/sms", {
                    "MessageSid": sid,
                    "SmsSid": sid,
                    "AccountSid": SIMULATOR_ACCOUNT_SID,
                    "From": handset,
                    "To": OUR_NUMBER,
                    "Body": next(lines),
                    "NumMedia": "0",
                    "NumSegments": "1",
                    "ApiVersion": "2010-04-01",
                }

            handsets = _handsets(args.customers)
            cpu_start, idle_start = _server_cpu_s(base), time.perf_counter()
            time.sleep(IDLE_S)
            idle_rate = (_server_cpu_s(base) - cpu_start) / (time.perf_counter() - idle_start)
            cpu_start = _server_cpu_s(base)
            sms_lat, sms_err, sms_wall = _drive(base, text, args.rate, args.seconds, handsets)
            cpu_sms = _server_cpu_s(base) - cpu_start
            cpu_start = _server_cpu_s(base)
            base_lat, base_err, base_wall = _drive(
                base, lambda handset, step: ("/healthz", None), args.rate, args.seconds, handsets
            )
            cpu_base = _server_cpu_s(base) - cpu_start
    texts, trivial = summary(sms_lat), summary(base_lat)

    def figures(lat: list[float], errors: int, wall: float, cpu: float, summ: dict[str, float]) -> dict[str, float]:
        return {
            **summ,
            "errors": errors,
            "throughput_per_s": round(len(lat) / wall, 1),
            "cpu_ms_per_request": round(1000 * cpu / max(1, len(lat)), 2),
            "cpu_ms_per_request_net_of_idle": round(1000 * (cpu - idle_rate * wall) / max(1, len(lat)), 2),
        }

    result = {
        "database": "sqlite" if args.sqlite else "postgresql",
        "target_rate_per_s": args.rate,
        "seconds": args.seconds,
        "text_webhook": figures(sms_lat, sms_err, sms_wall, cpu_sms, texts),
        "trivial_endpoint": figures(base_lat, base_err, base_wall, cpu_base, trivial),
        "p99_ratio": round(texts["p99_ms"] / trivial["p99_ms"], 1) if trivial["p99_ms"] else None,
        "goal_p99_ms": 50,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name in ("text_webhook", "trivial_endpoint"):
            r = result[name]
            print(
                f"{name:17} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                f"{r['throughput_per_s']:6.1f}/s  errors {r['errors']}  cpu {r['cpu_ms_per_request']} ms/req"
            )
        print(f"p99 ratio (text / trivial): {result['p99_ratio']}   goal: text p99 <= 50 ms at 100/s")
    return 0 if sms_err == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
