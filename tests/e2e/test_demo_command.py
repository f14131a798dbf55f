"""`contactcenter demo` as a new user runs it: pages served, simulated calls land in the store."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from contactcenter.acd.models import Queue
from tests.support.demo_process import free_port, run_demo

pytestmark = pytest.mark.slow


# Saturday 5 December 2026, 23:00 in New York (EST, UTC-5): the office is closed.
SATURDAY_NIGHT_NEW_YORK = "2026-12-06T04:00:00+00:00"


def test_demo_serves_pages_and_records_simulated_calls(tmp_path: Path):
    port = free_port()
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "contactcenter.app.cli",
            "demo",
            "--port",
            str(port),
            "--calls-per-minute",
            "60",
            "--duration",
            "30",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        web = requests.Session()
        login_page = web.get(base + "/login", timeout=5)
        assert login_page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        resp = web.post(
            base + "/login",
            data={"csrf_token": token, "username": "supervisor", "password": "demo-password"},
            timeout=5,
        )
        assert resp.status_code == 200 and "Calls" in resp.text
        assert "Sam Supervisor" in resp.text
        assert web.get(base + "/customers", timeout=5).status_code == 200
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert f"running at {base}/" in output
    assert "Traceback" not in output
    assert "alice (agent)" in output and "demo-password" in output
    db = sqlite3.connect(tmp_path / "var" / "contactcenter.db")
    seeded = db.execute("select count(*) from interactions where to_number = '+18005550199'").fetchone()[0]
    simulated = db.execute("select count(*) from interactions where to_number = '+18005550100'").fetchone()[0]
    with_path = db.execute("select count(*) from interactions where ivr_flow = 'acme-support'").fetchone()[0]
    assert seeded > 0
    assert simulated >= 5, output
    assert with_path == simulated


def test_demo_callers_reach_agents_on_a_saturday_night(tmp_path: Path):
    # A caller spends about a minute in the menus (prompts are spoken at the pace of speech).
    output = run_demo(tmp_path, "--calls-per-minute", "40", "--duration", "80", at=SATURDAY_NIGHT_NEW_YORK)
    db = sqlite3.connect(tmp_path / "var" / "contactcenter.db")
    answered = db.execute(
        "select count(*) from interactions where to_number = '+18005550100' and answered_at is not null "
        "and agent_id is not null"
    ).fetchone()[0]
    assert answered >= 1, output


NEW_YORK_OFFICE = {
    "time_zone": "America/New_York",
    "hours": {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def test_demo_says_at_start_which_queue_is_closed(tmp_path: Path):
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    for step in ("upgrade", "seed"):
        subprocess.run(
            [sys.executable, "-m", "contactcenter.app.cli", "db", step],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
        )
    db = sqlite3.connect(tmp_path / "var" / "contactcenter.db")
    db.execute("update queues set hours = ? where name = 'billing'", (json.dumps(NEW_YORK_OFFICE),))
    db.commit()
    db.close()
    output = run_demo(tmp_path, "--calls-per-minute", "0", "--duration", "3", at=SATURDAY_NIGHT_NEW_YORK)
    assert "hours: queue billing is closed now (Sat 23:00 America/New_York)" in output, output
    assert "queue support" not in output


def test_hours_notices_say_when_a_queue_closes_and_opens_again():
    from contactcenter.app.demo import HoursNotices, closed_now

    billing = Queue(name="billing", display_name="Billing", hours=NEW_YORK_OFFICE)
    support = Queue(name="support", display_name="Support", hours=None)
    notices = HoursNotices()
    friday_evening = datetime(2026, 12, 5, 0, 59, tzinfo=UTC)  # Fri 19:59 in New York
    assert notices.update(closed_now([billing, support], None, friday_evening)) == ["every queue is open now"]
    assert notices.update(closed_now([billing, support], None, friday_evening)) == []
    closing = notices.update(closed_now([billing, support], None, datetime(2026, 12, 5, 1, 0, tzinfo=UTC)))
    assert closing == [
        "queue billing is closed now (Fri 20:00 America/New_York): callers sent to it reach no agent until it opens"
    ]
    monday = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # Mon 08:00 in New York
    assert notices.update(closed_now([billing, support], None, monday)) == ["queue billing is open again"]


def test_demo_seed_measures_every_ticket_by_an_office_hours_sla_policy(db):
    from sqlalchemy import select

    from contactcenter.app.demo_data import seed
    from contactcenter.tickets.models import SlaPolicy, Ticket, TicketSla

    seed(db)
    policies = {p.channels[0] if p.channels else "*": p for p in db.scalars(select(SlaPolicy))}
    assert set(policies) == {"*", "chat", "sms", "email"}  # one standard policy, one per written channel
    for policy in policies.values():
        assert policy.calendar_record is not None
        assert policy.calendar_record.definition["time_zone"] == "America/New_York"
    assert {c: p.targets["first_response"] for c, p in policies.items() if c != "*"} == {
        "chat": {"*": 30},
        "sms": {"*": 900},
        "email": {"*": 4 * 3600},
    }
    tickets = db.scalars(select(Ticket)).all()
    assert len(tickets) >= 8
    for ticket in tickets:
        expected = policies.get(ticket.channel, policies["*"])
        rows = db.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket.id)).all()
        assert rows and {row.policy_id for row in rows} == {expected.id}, ticket.subject


def test_demo_seed_gives_the_sla_report_met_and_breached_clocks(db):
    from contactcenter.app.demo_data import seed
    from contactcenter.tickets.reports import sla_hit_rates

    seed(db)
    totals = sla_hit_rates(db).totals()
    assert totals["first_response"]["met"] > 0 and totals["first_response"]["breached"] > 0
    assert totals["resolution"]["met"] > 0


def test_report_sla_has_data_right_after_the_demo_ran(tmp_path: Path):
    run_demo(tmp_path, "--calls-per-minute", "0", "--duration", "2")
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    report = subprocess.run(
        [sys.executable, "-m", "contactcenter.app.cli", "report", "sla"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    assert "Acme standard support" in report.stdout and "total first_response" in report.stdout, report.stdout


@pytest.mark.parametrize(
    "hours",
    [{"time_zone": "Mars/Olympus"}, {"hours": "24x7"}, ["<script>"], {"time_zone": "UTC", "hours": {"mon": "9-5"}}],
)
def test_unreadable_queue_hours_are_reported_not_fatal(hours):
    from contactcenter.app.demo import closed_now

    queue = Queue(name="billing", display_name="Billing", hours=hours)
    lines = closed_now([queue], None, datetime(2026, 12, 5, 4, 0, tzinfo=UTC))
    assert lines == {"queue billing": "queue billing has opening hours that cannot be read; it is treated as open"}


def test_the_start_up_line_counts_in_words():
    from contactcenter.app.demo import _seeded

    assert _seeded({"mailboxes": 1, "sla_policies": 4, "interactions": 1}) == (
        "seeded 1 mailbox, 4 SLA policies, 1 past call"
    )
