"""Inbound e-mail: parsing and threading cost per message at a steady rate.

Files `--per-minute` e-mails a minute for `--minutes` (open loop, one after another as they fall
due) straight into the store, as the LMTP listener and the IMAP fetcher do: each message is parsed
(MIME, charsets, quoted-reply and signature stripping, HTML sanitising, attachment checks),
threaded (In-Reply-To/References, ticket number in the subject) and committed in its own
transaction. The mix: new conversations, replies to our replies, HTML mail with a 200 KB PDF, an
auto-reply. Prints the per-message latency percentiles and throughput; the goal is 200 e-mails a
minute with p95 ≤ 200 ms each.

    python bench/mail_inbound.py --per-minute 200 --minutes 1 [--sqlite] [--json]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import percentile, scratch_schema, summary  # noqa: E402
from ivr_webhook import _sqlite_url  # noqa: E402

MAILBOX = "support@acme.example"
QUOTED = "\n\nOn Monday, Acme Support <support@acme.example> wrote:\n> We are looking into it.\n> Regards"
PDF = b"%PDF-1.4\n" + secrets.token_bytes(200_000)


def _message(index: int, previous: dict[int, str]) -> bytes:
    customer = index % 40
    message = EmailMessage()
    message["From"] = f"Customer {customer} <customer{customer}@example.org>"
    message["To"] = MAILBOX
    message["Message-ID"] = make_msgid(domain="example.org")
    kind = index % 10
    if kind == 9:
        message["Subject"] = "Out of office"
        message["Auto-Submitted"] = "auto-replied"
        message.set_content("I am away until Monday.")
    elif customer in previous and kind in (1, 3, 5, 7):
        message["Subject"] = "Re: Order question"
        message["In-Reply-To"] = previous[customer]
        message["References"] = previous[customer]
        message.set_content(f"Thanks, one more detail about order {1000 + index}." + QUOTED)
    else:
        message["Subject"] = f"Order question {index}"
        message.set_content(f"Hello,\n\nmy order {1000 + index} has not arrived.\n\n-- \nCustomer {customer}")
        if kind == 4:
            message.add_alternative(
                f"<p>Hello,</p><p>my order <b>{1000 + index}</b> has not arrived.</p><script>alert(1)</script>",
                subtype="html",
            )
            message.add_attachment(PDF, maintype="application", subtype="pdf", filename="receipt.pdf")
    previous[customer] = message["Message-ID"]
    return message.as_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-minute", type=float, default=200.0)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.per_minute <= 0 or args.minutes <= 0:
        parser.error("per-minute and minutes must be positive")

    from contactcenter.acd.models import Queue
    from contactcenter.db import make_engine, make_sessionmaker, transaction
    from contactcenter.mail.inbound import deliver
    from contactcenter.mail.mailboxes import add_mailbox

    count = int(args.per_minute * args.minutes)
    previous: dict[int, str] = {}
    messages = [_message(i, previous) for i in range(count)]
    latencies: list[float] = []
    with _sqlite_url() if args.sqlite else scratch_schema("bench_mail") as url:
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            session.add(Queue(name="support", display_name="Support"))
            session.flush()
            add_mailbox(session, MAILBOX, display_name="Acme Support", queue="support")
        period = 60.0 / args.per_minute
        start = time.perf_counter()
        for index, raw in enumerate(messages):
            due = start + index * period
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            began = time.perf_counter()
            with transaction(factory) as session:
                deliver(session, raw, [MAILBOX])
            latencies.append(time.perf_counter() - began)
        wall = time.perf_counter() - start
        engine.dispose()
    figures = summary(latencies)
    result = {
        "database": "sqlite" if args.sqlite else "postgresql",
        "messages": count,
        "per_minute_target": args.per_minute,
        "per_minute_achieved": round(60 * count / wall, 1),
        **figures,
        "p95_ms": round(percentile([s * 1000 for s in latencies], 95), 2),
        "goal_p95_ms": 200,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{count} e-mails at {result['per_minute_achieved']}/min ({result['database']}): "
            f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms  "
            f"(goal: 200/min, p95 <= 200 ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
