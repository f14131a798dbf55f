"""IVR webhook latency and throughput, against a trivial endpoint on the same server.

Starts the app under gunicorn (2 workers) on loopback against PostgreSQL (or, with `--sqlite`,
a fresh SQLite file) and Redis, opens
`--calls` simulated calls, then sends signed Gather answers at `--rate` requests per second for
`--seconds` (open loop: each call answers on its own schedule, one request in flight per call, as
a carrier would). Each answer runs a CRM lookup, writes the caller's path and carrier event to
PostgreSQL and the session to Redis. The same server's /healthz is then driven at the same rate
as the scale reference. Prints both, the ratio of the p99s, and the web server's CPU time per
request (user + system time of the gunicorn processes over the phase, divided by its requests,
and the same net of what the idle server burns; the trivial endpoint's figure is the floor every
request pays for HTTP, WSGI and Flask).

    python bench/ivr_webhook.py --rate 200 --seconds 20 [--sqlite] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import REDIS_URL, gunicorn, scratch_schema, summary  # noqa: E402

from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN  # noqa: E402
from contactcenter.telephony.signatures import SignatureChecker  # noqa: E402

FLOWS = Path(__file__).resolve().parent / "flows"


def _params(sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": "+14155550100",
        "To": "+18005550100",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _seed(url: str) -> None:
    from contactcenter.acd.models import Queue
    from contactcenter.contacts.customers import create_customer
    from contactcenter.db import make_engine, make_sessionmaker, transaction
    from contactcenter.tickets.services import open_ticket

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        session.add(Queue(name="support", display_name="Support"))
        customer = create_customer(session, "Grace Hopper", ["+14155550100"])
        open_ticket(session, "Bench ticket", customer_id=customer.id)
    engine.dispose()


_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
IDLE_S = 3.0


def _server_cpu_s(base: str) -> float:
    """User + system CPU seconds so far of every gunicorn process serving `base` (master and
    workers share its command line), read from /proc."""
    bind = base.removeprefix("http://").encode()
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if bind not in cmdline or b"gunicorn" not in cmdline:
                continue
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended while we looked
        total += (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime
    return total


@contextmanager
def _sqlite_url() -> Iterator[str]:
    """A fresh SQLite file, migrated to head, removed afterwards."""
    from contactcenter.db import make_engine
    from contactcenter.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-ivr-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def _drive(
    base: str,
    path_for,
    rate: float,
    seconds: float,
    calls: list[str],  # type: ignore[no-untyped-def]
    by_step: dict[int, list[float]] | None = None,
) -> tuple[list[float], int, float]:
    signer = SignatureChecker(SIMULATOR_AUTH_TOKEN)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_call_period = len(calls) / rate
    start = time.perf_counter() + 0.5
    stop_at = start + seconds

    def run(index: int, sid: str) -> None:
        session = requests.Session()
        step = 0
        next_at = start + (index / len(calls)) * per_call_period
        while True:
            now = time.perf_counter()
            if next_at >= stop_at:
                return
            if next_at > now:
                time.sleep(next_at - now)
            path, params = path_for(sid, step)
            url = base + path
            headers = {"X-Twilio-Signature": signer.sign(url, params)} if params is not None else {}
            began = time.perf_counter()
            try:
                resp = (
                    session.post(url, data=params, headers=headers, timeout=10)
                    if params is not None
                    else session.get(url, timeout=10)
                )
                ok = resp.status_code < 400
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if by_step is not None:
                    by_step.setdefault(step % 2, []).append(elapsed)
                if not ok:
                    errors[0] += 1
            step += 1
            next_at += per_call_period

    threads = [threading.Thread(target=run, args=(i, sid), daemon=True) for i, sid in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--calls", type=int, default=50, help="concurrent calls answering menus")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.calls < 1:
        parser.error("rate, seconds and calls must be positive")

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    with _sqlite_url() if args.sqlite else scratch_schema("bench_ivr") as url:
        _seed(url)
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "CARRIER": "simulator",
            "SECRET_KEY": secrets.token_hex(16),
            "IVR_FLOWS_DIR": str(FLOWS),
            "IVR_FLOW": "bench",
        }
        with gunicorn(env) as base:
            signer = SignatureChecker(SIMULATOR_AUTH_TOKEN)
            calls = ["CA" + secrets.token_hex(16) for _ in range(args.calls)]
            for sid in calls:  # the calls arrive: first webhook, greeting and menu
                params = _params(sid, CallStatus="ringing")
                resp = requests.post(
                    base + "/hooks/voice",
                    data=params,
                    headers={"X-Twilio-Signature": signer.sign(base + "/hooks/voice", params)},
                    timeout=10,
                )
                resp.raise_for_status()

            def ivr_request(sid: str, step: int):  # type: ignore[no-untyped-def]
                # Odd steps: press 1 (lookup, say, back to the menu); even steps: 9 (repeat).
                return f"/hooks/ivr?step={step}", _params(sid, Digits="1" if step % 2 == 0 else "9")

            # What the server burns with no request at all (its Socket.IO relay, leases, timers), to
            # tell the requests' own cost from the process's background.
            cpu_start, idle_start = _server_cpu_s(base), time.perf_counter()
            time.sleep(IDLE_S)
            idle_rate = (_server_cpu_s(base) - cpu_start) / (time.perf_counter() - idle_start)
            cpu_start = _server_cpu_s(base)
            by_step: dict[int, list[float]] = {}
            ivr_lat, ivr_err, ivr_wall = _drive(base, ivr_request, args.rate, args.seconds, calls, by_step)
            cpu_ivr = _server_cpu_s(base) - cpu_start
            cpu_start = _server_cpu_s(base)
            base_lat, base_err, base_wall = _drive(
                base, lambda sid, step: ("/healthz", None), args.rate, args.seconds, calls
            )
            cpu_base = _server_cpu_s(base) - cpu_start
    ivr, trivial = summary(ivr_lat), summary(base_lat)
    result = {
        "database": "sqlite" if args.sqlite else "postgresql",
        "target_rate_per_s": args.rate,
        "seconds": args.seconds,
        "ivr_webhook": {
            **ivr,
            "errors": ivr_err,
            "throughput_per_s": round(len(ivr_lat) / ivr_wall, 1),
            "cpu_ms_per_request": round(1000 * cpu_ivr / max(1, len(ivr_lat)), 2),
            "cpu_ms_per_request_net_of_idle": round(1000 * (cpu_ivr - idle_rate * ivr_wall) / max(1, len(ivr_lat)), 2),
        },
        "trivial_endpoint": {
            **trivial,
            "errors": base_err,
            "throughput_per_s": round(len(base_lat) / base_wall, 1),
            "cpu_ms_per_request": round(1000 * cpu_base / max(1, len(base_lat)), 2),
            "cpu_ms_per_request_net_of_idle": round(
                1000 * (cpu_base - idle_rate * base_wall) / max(1, len(base_lat)), 2
            ),
        },
        "server_idle_cpu_ms_per_s": round(1000 * idle_rate, 1),
        # The two kinds of answer: "1" runs a CRM lookup in the store, "9" repeats the menu.
        "ivr_lookup_answer": summary(by_step.get(0, [])),
        "ivr_repeat_answer": summary(by_step.get(1, [])),
        "p99_ratio_ivr_to_trivial": round(ivr["p99_ms"] / trivial["p99_ms"], 2) if trivial["p99_ms"] else None,
        "goal": "IVR p99 <= 10x the trivial endpoint's at 200 requests/s; web CPU <= 1.5 ms per IVR webhook",
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name in ("ivr_webhook", "trivial_endpoint"):
            r = result[name]
            print(
                f"{name:17s} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                f"{r['throughput_per_s']:6.1f} req/s  CPU {r['cpu_ms_per_request']:5.2f} ms/req "
                f"({r['cpu_ms_per_request_net_of_idle']:5.2f} net of idle)  errors {r['errors']}"
            )
        for name, label in (("ivr_lookup_answer", "  with a CRM lookup"), ("ivr_repeat_answer", "  menu repeat only")):
            r = result[name]
            print(f"{label:17s} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")
        print(f"server CPU when idle: {result['server_idle_cpu_ms_per_s']} ms per second")
        print(f"p99 ratio (IVR / trivial): {result['p99_ratio_ivr_to_trivial']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
