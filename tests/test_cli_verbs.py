"""Every verb of the `contactcenter` command, run once the way an operator runs it: the installed
console script, in a fresh process, against a store made by `contactcenter db upgrade`.

A verb that works inside the test process can still crash on its own: the test process has long
imported every model, a fresh one only what the verb imports (a relationship named by a string
then fails to resolve). The table below must name every verb, so a new one cannot go untried.
"""

from __future__ import annotations

import json
import os
import pkgutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import requests

import contactcenter
from contactcenter.app.cli import main
from contactcenter.db import make_engine, make_sessionmaker, transaction
from tests.support.dialer import gen_campaign
from tests.support.redis_db import TEST_REDIS_URL

pytestmark = pytest.mark.slow
COMMAND = str(Path(sys.executable).with_name("contactcenter"))
THIS_YEAR = ("--from", "2026-01-01", "--to", "2026-12-31")
FLOW = Path(contactcenter.__file__).parent / "ivr" / "flows" / "demo.yaml"


def leaf_verbs(group: click.Command = main, path: tuple[str, ...] = ()) -> set[str]:
    if isinstance(group, click.Group):
        return {verb for name, sub in group.commands.items() for verb in leaf_verbs(sub, path + (name,))}
    return {" ".join(path)}


class Floor:
    """An empty folder with a migrated, seeded SQLite store and a campaign to load leads into."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.database_url = f"sqlite:///{folder / 'cc.db'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": TEST_REDIS_URL,
            "CARRIER": "simulator",
            "LOG_FORMAT": "text",
        }
        self.env.pop("CONTACTCENTER_ENV", None)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COMMAND, *args], env=self.env, cwd=str(self.folder), capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    here = Floor(tmp_path_factory.mktemp("operator"))
    for verb in (("db", "upgrade"), ("db", "seed")):
        done = here.run(*verb)
        assert done.returncode == 0, done.stdout + done.stderr
    engine = make_engine(here.database_url)
    with transaction(make_sessionmaker(engine)) as session:
        gen_campaign(session, "Spring renewals", start=False)
    engine.dispose()
    (here.folder / "leads.csv").write_text(
        "phone,first_name,last_name\n+12025550143,Ada,Lovelace\n+13125550178,Alan,Turing\n"
    )
    yield here


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _json(done: subprocess.CompletedProcess[str]) -> object:
    return json.loads(_ok(done))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(floor: Floor, *args: str) -> subprocess.Popen[str]:
    """A long-running verb in a process group of its own (stopped with SIGTERM to the group)."""
    return subprocess.Popen(
        [COMMAND, *args],
        env=floor.env,
        cwd=str(floor.folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _serves(floor: Floor, *args: str, port: int | None = None, then: Callable[[str], None] | None = None) -> None:
    """A server verb: it must come up and answer (and pass `then`), then stop cleanly on SIGTERM."""
    port = port or _free_port()
    process = _start(floor, *args, "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (
                f"exited {process.returncode}: {process.stdout.read() if process.stdout else ''}"
            )
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "never answered"
            time.sleep(0.3)
        if then is not None:
            then(f"http://127.0.0.1:{port}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output, output


def _api_token_create(floor: Floor) -> None:
    token = _json(floor.run("api-token", "create", "--user", "admin", "--name", "billing sync", "--json"))
    assert isinstance(token, dict) and str(token["token"]).startswith("cct_")


def _api_token_revoke(floor: Floor) -> None:
    token = _json(floor.run("api-token", "create", "--user", "admin", "--name", "to revoke", "--json"))
    assert isinstance(token, dict)
    assert "revoked" in _ok(floor.run("api-token", "revoke", str(token["id"])))


def _leads_import(floor: Floor) -> None:
    report = _json(floor.run("leads", "import", "leads.csv", "--campaign", "Spring renewals", "--json"))
    assert isinstance(report, dict) and report["imported"] == 2


def _campaigns_create(floor: Floor) -> None:
    created = _json(
        floor.run(
            *("campaigns", "create", "--name", "Autumn offers", "--caller-id", "202-555-0100", "--mode", "preview"),
            *("--company-name", "Acme Energy", "--callback-number", "800-555-0123", "--json"),
        )
    )
    assert isinstance(created, dict) and created["status"] == "draft"


def _campaigns_lifecycle(floor: Floor, step: str) -> None:
    name = f"Lifecycle {step}"
    floor.run(
        *("campaigns", "create", "--name", name, "--caller-id", "202-555-0100", "--mode", "progressive"),
        *("--company-name", "Acme Energy", "--callback-number", "800-555-0123"),
    )
    if step != "start":
        _ok(floor.run("campaigns", "start", name))
    assert "is " in _ok(floor.run("campaigns", step, name, *(("--yes",) if step == "stop" else ())))


def _campaigns_clone(floor: Floor) -> None:
    cloned = _json(floor.run("campaigns", "clone", "Spring renewals", "--name", "Spring renewals again", "--json"))
    assert isinstance(cloned, dict) and cloned["status"] == "draft"


def _dnc_check(floor: Floor) -> None:
    _ok(floor.run("dnc", "add", "212-555-0199"))
    blocked = floor.run("dnc", "check", "(212) 555-0199")
    assert blocked.returncode == 1 and "is blocked" in blocked.stdout, blocked.stdout + blocked.stderr


def _dnc_import(floor: Floor) -> None:
    (floor.folder / "dnc.csv").write_text("phone\n+12025550188\nbogus\n")
    report = _json(floor.run("dnc", "import", "dnc.csv", "--campaign", "Spring renewals", "--json"))
    assert isinstance(report, dict) and report["imported"] == 1 and len(report["rejected"]) == 1


MAIL = (
    b"From: Ann <ann@example.org>\r\nTo: help@example.com\r\nSubject: Kettle\r\n"
    b"Message-ID: <%s@example.org>\r\n\r\nMy kettle broke.\r\n"
)


def _mailbox(floor: Floor) -> None:
    if "help@example.com" not in floor.run("mail", "mailbox", "list").stdout:
        _ok(floor.run("mail", "mailbox", "add", "help@example.com", "--queue", "support", "--name", "Help"))


def _mail_deliver(floor: Floor) -> None:
    _mailbox(floor)
    (floor.folder / "kettle.eml").write_bytes(MAIL % b"deliver")
    assert "filed on ticket #" in _ok(floor.run("mail", "deliver", "--to", "help@example.com", "kettle.eml"))
    unknown = floor.run("mail", "deliver", "--to", "nobody@example.com", "kettle.eml")
    assert unknown.returncode == 67 and "no mailbox" in unknown.stderr, unknown.stdout + unknown.stderr


def _sms_number_add(floor: Floor) -> None:
    added = _ok(floor.run("sms", "number", "add", "(800) 555-0188", "--queue", "support", "--help-text", "Acme"))
    assert "+18005550188 takes texts" in added
    again = floor.run("sms", "number", "add", "+18005550188")
    assert again.returncode == 2 and "already takes texts" in again.stderr, again.stdout + again.stderr


def _analytics_import_orders(floor: Floor) -> None:
    good = floor.folder / "orders.csv"
    good.write_text("order_id,customer_id,ordered_at,amount,currency\nCLI-1,1,2026-03-01,12.50,USD\n")
    assert "imported 1 orders" in _ok(floor.run("analytics", "import-orders", str(good)))
    bad = floor.folder / "bad-orders.csv"
    bad.write_text("order_id,customer_id,ordered_at,amount,currency\nCLI-2,1,2026-03-01,-1,USD\n")
    refused = floor.run("analytics", "import-orders", str(bad))
    assert refused.returncode == 1 and "the amount is negative" in refused.stdout, refused.stdout + refused.stderr


def _analytics_segments(floor: Floor) -> None:
    report = _json(floor.run("analytics", "segments", *THIS_YEAR, "--json"))
    assert isinstance(report, dict) and set(report) == {"migration", "revenue"}
    bad = floor.run("analytics", "segments", "--from", "2026-02-30", "--to", "2026-03-01")
    assert bad.returncode == 2 and "real day" in bad.stderr, bad.stdout + bad.stderr


def _analytics_backfill_segments(floor: Floor) -> None:
    filled = _json(floor.run("analytics", "backfill-segments", "--months", "3", "--json"))
    assert isinstance(filled, dict) and set(filled) == {"snapshots"}
    refused = floor.run("analytics", "backfill-segments", "--months", "0")
    assert refused.returncode == 2 and "months is 1 to 60" in refused.stderr, refused.stdout + refused.stderr


def _campaigns_from_segment(floor: Floor) -> None:
    refused = floor.run(
        *("campaigns", "from-segment", "--name", "Win back", "--segment", "<b>nobody</b>"),
        *("--caller-id", "202-555-0100", "--company-name", "Acme", "--callback-number", "800-555-0123"),
    )
    assert refused.returncode == 2 and "no customer is in segment" in refused.stderr, refused.stdout + refused.stderr


def _analytics_product(floor: Floor) -> None:
    good = floor.folder / "product-orders.csv"
    good.write_text(
        "order_id,customer_id,ordered_at,amount,currency,sku,product\nCLI-P1,1,2026-03-01,9.50,USD,TEA-1,Teapot\n"
    )
    _ok(floor.run("analytics", "import-orders", str(good)))
    assert "out of stock, not offered" in _ok(
        floor.run("analytics", "product", "TEA-1", "--out-of-stock", "--not-offerable")
    )
    unknown = floor.run("analytics", "product", "NOPE'; --")
    assert unknown.returncode == 1 and "no product with SKU" in unknown.stderr, unknown.stdout + unknown.stderr


def _mail_receive(floor: Floor) -> None:
    import smtplib

    _mailbox(floor)
    port = _free_port()
    process = _start(floor, "mail", "receive", "--port", str(port), "--lmtp")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                client = smtplib.LMTP("127.0.0.1", port)
                break
            except OSError:
                assert time.monotonic() < deadline, "never answered"
                time.sleep(0.3)
        assert client.sendmail("ann@example.org", ["help@example.com"], MAIL % b"receive") == {}
        client.quit()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0 and "Traceback" not in output, output


def _quality_report(floor: Floor) -> None:
    assert _ok(floor.run("quality", "report", *THIS_YEAR, "--csv")).startswith("group,name,week_starting")
    refused = floor.run("quality", "report", "--from", "2026-13-01", "--to", "2026-12-31")
    assert refused.returncode == 2 and "a date as YYYY-MM-DD" in refused.stderr, refused.stdout + refused.stderr


VERBS: dict[str, Callable[[Floor], None]] = {
    "db upgrade": lambda f: _ok(f.run("db", "upgrade")),
    "db seed": lambda f: _ok(f.run("db", "seed")),
    "analytics import-orders": _analytics_import_orders,
    "analytics recompute": lambda f: _json(f.run("analytics", "recompute", "--json")),
    "analytics product": _analytics_product,
    "analytics evaluate": lambda f: _json(f.run("analytics", "evaluate", "--holdout-weeks", "13", "--json")),
    "analytics segments": _analytics_segments,
    "analytics backfill-segments": _analytics_backfill_segments,
    "web": lambda f: _serves(f, "web", "--host", "127.0.0.1", "--threads", "4"),
    "worker": lambda f: _ok(f.run("worker", "--burst")),
    "demo": lambda f: _ok(f.run("demo", "--port", str(_free_port()), "--duration", "4", "--calls-per-minute", "30")),
    "erlang": lambda f: _json(
        f.run("erlang", "--calls-per-hour", "200", "--aht", "180", "--agents", "14", "--target-seconds", "20", "--json")
    ),
    "ivr validate": lambda f: _json(f.run("ivr", "validate", str(FLOW), "--json")),
    "ivr graph": lambda f: _ok(f.run("ivr", "graph", str(FLOW))),
    "report sla": lambda f: _json(f.run("report", "sla", "--json")),
    "report intervals": lambda f: _json(f.run("report", "intervals", *THIS_YEAR, "--json")),
    "report agents": lambda f: _json(f.run("report", "agents", *THIS_YEAR, "--json")),
    "report daily": lambda f: _json(f.run("report", "daily", *THIS_YEAR, "--json")),
    "report dialer": lambda f: _json(f.run("report", "dialer", *THIS_YEAR, "--json")),
    "report channels": lambda f: _json(f.run("report", "channels", *THIS_YEAR, "--daily", "--json")),
    "quality report": _quality_report,
    "api-token create": _api_token_create,
    "api-token revoke": _api_token_revoke,
    "leads import": _leads_import,
    "campaigns list": lambda f: _json(f.run("campaigns", "list", "--json")),
    "campaigns create": _campaigns_create,
    "campaigns start": lambda f: _campaigns_lifecycle(f, "start"),
    "campaigns pause": lambda f: _campaigns_lifecycle(f, "pause"),
    "campaigns stop": lambda f: _campaigns_lifecycle(f, "stop"),
    "campaigns clone": _campaigns_clone,
    "campaigns from-segment": _campaigns_from_segment,
    "dnc add": lambda f: _ok(f.run("dnc", "add", "202-555-0111", "--reason", "asked")),
    "dnc remove": lambda f: _ok(f.run("dnc", "remove", "202-555-0111")),
    "dnc check": _dnc_check,
    "dnc import": _dnc_import,
    "mail mailbox add": lambda f: _ok(f.run("mail", "mailbox", "add", "sales@example.com", "--signature", "Sales")),
    "mail mailbox list": lambda f: _ok(f.run("mail", "mailbox", "list", "--json")),
    "mail mailbox remove": lambda f: (
        _ok(f.run("mail", "mailbox", "add", "old@example.com"))
        and _ok(f.run("mail", "mailbox", "remove", "old@example.com"))
    ),
    "mail deliver": _mail_deliver,
    "mail receive": _mail_receive,
    "mail fetch": lambda f: _ok(f.run("mail", "fetch", "--once")),
    "sms number add": _sms_number_add,
    "sms number list": lambda f: _json(f.run("sms", "number", "list", "--json")),
    "sms number remove": lambda f: (
        _ok(f.run("sms", "number", "add", "+18005550177")) and _ok(f.run("sms", "number", "remove", "+1 800 555 0177"))
    ),
    "pacer": lambda f: _ok(f.run("pacer", "--base-url", "http://127.0.0.1:9", "--max-steps", "2", "--tick", "0.1")),
    "simulate inbound": lambda f: _json(f.run("simulate", "inbound", "--hours", "0.2", "--json")),
    "simulate dialer": lambda f: _json(f.run("simulate", "dialer", "--hours", "0.2", "--json")),
}


def test_the_table_names_every_verb() -> None:
    assert leaf_verbs() == set(VERBS)


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_verb_runs_in_a_fresh_process(floor: Floor, verb: str) -> None:
    VERBS[verb](floor)


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_verb_explains_itself(floor: Floor, verb: str) -> None:
    assert "Usage: contactcenter " + verb in _ok(floor.run(*verb.split(), "--help"))


def _first_call_meets_the_ivr(base: str) -> None:
    from twilio.request_validator import RequestValidator

    from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN

    url = base + "/hooks/voice"
    call = {
        "CallSid": "CA" + "7" * 32,
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": "+14155550100",
        "To": "+18005550100",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(SIMULATOR_AUTH_TOKEN).compute_signature(url, call)
    answer = requests.post(url, data=call, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert answer.status_code == 200 and "<Gather" in answer.text, answer.text  # not the outage fallback


def test_a_fresh_web_process_on_sqlite_answers_its_first_call_with_the_ivr(floor: Floor) -> None:
    """The flows load on the first call; on SQLite that once waited on the call's own write lock."""
    _serves(floor, "web", "--host", "127.0.0.1", "--threads", "4", then=_first_call_meets_the_ivr)


def test_every_models_module_is_in_the_registry() -> None:
    """`contactcenter.models` is what the command loads: a model module it misses breaks verbs."""
    registry = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, contactcenter.models; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('contactcenter.') and m.endswith('.models')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    modules = {
        f"contactcenter.{m.name}"
        for m in pkgutil.walk_packages(contactcenter.__path__, "")
        if m.name.endswith(".models") or m.name == "models"
    } - {"contactcenter.models"}
    assert modules <= set(registry)
