"""`contactcenter demo`: the whole system in one process on the embedded default.

Web app and webhooks, a background worker, and the local carrier simulator with scripted callers,
all sharing one SQLite file and one in-process Redis substitute. The simulator reaches the app
over real HTTP on loopback and answers the app's REST requests on a port of its own, so the
demo takes the same code paths as production.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import func, select
from werkzeug.serving import make_server

from contactcenter import clock
from contactcenter.acd.models import Queue
from contactcenter.app import jobs, runtime as runtime_mod
from contactcenter.app.demo_data import (
    CUSTOMERS,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TEXT_NUMBER,
    DEMO_TEXTS,
    OUTBOUND_AGENTS,
    OUTBOUND_CAMPAIGN,
    UNKNOWN_CALLERS,
    outbound_lead_numbers,
    seed,
    seed_outbound,
)
from contactcenter.calendars import BusinessCalendar
from contactcenter.config import load_settings
from contactcenter.contacts.models import Interaction
from contactcenter.db import make_engine, transaction
from contactcenter.ivr.flow import Flow
from contactcenter.ivr.flow_nodes import HoursNode
from contactcenter.migrate import upgrade

DEMO_NUMBER = "+18005550100"
# Demo agents the machine plays; log in as alice to take calls yourself.
SIMULATED_AGENTS = ("bob", "carmen")
# What simulated callers do, with weights: self-service, menus into queues, impatience, mistakes.
CALLER_SCRIPTS: tuple[tuple[str, int], ...] = (
    ("press 1, press 1, enter 1#, press 2, press 5", 4),  # order status, self-served, CSAT 5
    ("press 1, press 1, enter 99999#, press 0, hang up after 70", 2),  # unknown order → agent
    ("press 1, press 2, hang up after 60", 3),  # billing queue, gives up after a minute
    ("press 1, press 4, hang up after 50", 2),  # technical support
    ("press 1, press 3", 1),  # asks for a callback
    ("press 2, press 0, hang up after 45", 1),  # Spanish, agent
    ("press 1, press 7, press 7, press 7, hang up after 40", 1),  # three wrong keys
    ("wait, wait, wait, hang up after 60", 1),  # silent caller
)
# How often the demo looks at opening hours again (a queue's hours can be edited while it runs).
HOURS_CHECK_S = 30.0


def _local(calendar: BusinessCalendar, at: datetime) -> str:
    return at.astimezone(ZoneInfo(calendar.time_zone)).strftime(f"%a %H:%M {calendar.time_zone}")


def closed_now(queues: Iterable[Queue], flow: Flow | None, at: datetime) -> dict[str, str]:
    """What is outside its opening hours at `at`, as {what: the line to print}.

    A newcomer who starts the demo at night must not wonder why no call reaches an agent: a
    closed queue sends its callers to its overflow, and an IVR hours check sends them to its
    "closed" branch, so both are said out loud.
    """
    closed: dict[str, str] = {}
    for queue in queues:
        if not queue.hours:
            continue  # no hours: open around the clock
        try:
            calendar = BusinessCalendar.from_dict(queue.hours)
        except (ValueError, TypeError, KeyError, AttributeError):
            # Call routing treats such a queue as open (a typo must not close the line); say so.
            closed[f"queue {queue.name}"] = (
                f"queue {queue.name} has opening hours that cannot be read; it is treated as open"
            )
            continue
        if not calendar.is_open(at):
            closed[f"queue {queue.name}"] = (
                f"queue {queue.name} is closed now ({_local(calendar, at)}): "
                "callers sent to it reach no agent until it opens"
            )
    if flow is not None:
        for node in flow.nodes.values():
            if isinstance(node, HoursNode) and not node.calendar.is_open(at):
                branch = node.holiday if node.holiday and node.calendar.is_holiday(at) else node.closed
                closed[f"IVR {flow.name} {node.id}"] = (
                    f"IVR {flow.name}: outside the hours of '{node.id}' ({_local(node.calendar, at)}), "
                    f"callers take its '{branch}' branch"
                )
    return closed


class HoursNotices:
    """Lines to print about opening hours: everything closed at the first check, then only
    what closes or opens again since the previous one."""

    def __init__(self) -> None:
        self._closed: dict[str, str] | None = None

    def update(self, closed: dict[str, str]) -> list[str]:
        first, previous = self._closed is None, self._closed or {}
        self._closed = dict(closed)
        lines = [line for key, line in closed.items() if key not in previous]
        lines += [f"{key} is open again" for key in previous if key not in closed]
        if first and not any(key.startswith("queue ") for key in closed):
            lines.insert(0, "every queue is open now")
        return lines


def _seeded(created: dict[str, int]) -> str:
    if not created:
        return "already seeded"
    names = {"interactions": "past calls", "faq": "FAQ articles", "sla_policies": "SLA policies"}
    return "seeded " + ", ".join(
        f"{count} {_one(label) if count == 1 else label}"
        for what, count in created.items()
        for label in [names.get(what, what).replace("_", " ")]
    )


def _one(plural: str) -> str:
    """ "1 mailbox", "1 SLA policy", "1 text number": the singular of the names above."""
    for ending, singular in (("ies", "y"), ("xes", "x"), ("s", "")):
        if plural.endswith(ending):
            return plural[: -len(ending)] + singular
    return plural


def _check_hours(rt: runtime_mod.Runtime, notices: HoursNotices) -> None:
    with rt.session_factory() as session:
        queues = list(session.scalars(select(Queue).order_by(Queue.name)))
        for line in notices.update(closed_now(queues, rt.ivr_flow(), clock.now())):
            click.echo(f"  hours: {line}")


class _ThreadWorker(SimpleWorker):
    """An RQ worker that can run in a thread (signals belong to the main thread, so job
    time limits use a timer instead of SIGALRM)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:  # noqa: D401
        return None


def _script(rng: random.Random) -> str:
    scripts, weights = zip(*CALLER_SCRIPTS, strict=True)
    return rng.choices(scripts, weights=weights)[0]


def _start_worker(rt: runtime_mod.Runtime, stop: threading.Event) -> threading.Thread:
    from contactcenter.app import wiring

    wiring.announce_ticket_changes(rt.redis)  # jobs' ticket changes reach open ticket views

    def loop() -> None:
        worker = _ThreadWorker([jobs.queue(name, rt.redis) for name in jobs.QUEUES], connection=rt.redis)
        while not stop.is_set():
            worker.work(burst=True, logging_level="WARNING")
            stop.wait(1.0)

    thread = threading.Thread(target=loop, name="demo-worker", daemon=True)
    thread.start()
    return thread


def _start_acd(rt: runtime_mod.Runtime, base: str, stop: threading.Event) -> None:
    """The router's heartbeat, and bob and carmen answering calls (alice is left for you)."""
    from contactcenter.accounts.models import User
    from contactcenter.app import ticker
    from contactcenter.app.services import CarrierUrls, configure_router
    from contactcenter.app.simulated_agents import SimulatedAgents

    urls = CarrierUrls.under(base)
    configure_router(rt)
    with transaction(rt.session_factory) as session:
        ids = list(session.scalars(select(User.id).where(User.username.in_(SIMULATED_AGENTS))))
    ticker.start(rt, stop, overflow_url=f"{base}/hooks/overflow")
    SimulatedAgents(rt, ids, urls, answer_after_s=3, mean_talk_s=45, seed=int(time.time())).start(stop)


def _start_outbound(rt: runtime_mod.Runtime, base: str, carrier: object, stop: threading.Event) -> None:
    """The dialer's pacer, and Dave and Erin taking the campaign's calls.

    Answered campaign calls must reach an agent within 2 s (or the safe-harbor message plays),
    so the outbound agents the machine plays look at their offers four times a second and accept
    at once. A few leads are busy, unanswered or machines, so the retries show too.
    """
    from contactcenter.accounts.models import User
    from contactcenter.app.services import CarrierUrls, pacer_worker
    from contactcenter.app.simulated_agents import SimulatedAgents
    from contactcenter.telephony.simulator import Callee

    numbers = outbound_lead_numbers()
    for index, number in enumerate(numbers):
        if index % 7 == 3:
            carrier.set_callee(number, Callee(answer="busy", ring_s=3))  # type: ignore[attr-defined]
        elif index % 7 == 5:
            carrier.set_callee(number, Callee(answer="no-answer"))  # type: ignore[attr-defined]
        elif index % 11 == 6:
            carrier.set_callee(number, Callee(answer="machine", ring_s=4, greeting_s=5))  # type: ignore[attr-defined]
        else:
            carrier.set_callee(number, Callee(answer="human", ring_s=3))  # type: ignore[attr-defined]
    with transaction(rt.session_factory) as session:
        ids = list(session.scalars(select(User.id).where(User.username.in_([u for u, _ in OUTBOUND_AGENTS]))))
    agents = SimulatedAgents(rt, ids, CarrierUrls.under(base), answer_after_s=0, mean_talk_s=25, seed=int(time.time()))
    threading.Thread(target=agents.run, args=(stop, 0.25), name="simulated-outbound-agents", daemon=True).start()
    worker = pacer_worker(rt, base, tick_s=0.5)
    threading.Thread(target=worker.run, args=(stop,), name="demo-pacer", daemon=True).start()


def run_demo(*, host: str, port: int, calls_per_minute: float, duration: float) -> int:
    from contactcenter.telephony.simulator import HttpTransport, InboundTraffic, SimulatedCarrier, SimulatorServer
    from web import create_serving_app

    # The log shows calls; routine job runs are left out, and so is the rebuild of the router's
    # state at start, which every demo run does (its warning would only alarm a newcomer).
    for noisy in ("werkzeug", "alembic", "rq.worker", "contactcenter.app.jobs"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("contactcenter.app.recovery").setLevel(logging.ERROR)
    settings = load_settings()
    if settings.carrier != "simulator":
        raise click.ClickException("the demo drives the simulated carrier; unset CARRIER or set it to simulator")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()

    carrier = SimulatedCarrier(
        HttpTransport(),
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        seed=int(time.time()),
    )
    # A person signed in to the desktop answers in the browser (the simulated softphone); the
    # simulated agents, with no page open, are answered for as before.
    carrier.browser_devices = True
    api = SimulatorServer(carrier).start()
    settings = settings.with_overrides(simulator_url=api.url)
    rt = runtime_mod.build_runtime(settings)
    runtime_mod.install(rt)
    with transaction(rt.session_factory) as session:
        created = seed(session)
        created.update(seed_outbound(session))
    rt.reload_flows()

    app = create_serving_app(rt)
    server = make_server(host, port, app, threaded=True)
    base = f"http://{host}:{server.server_port}"
    if not rt.settings.public_base_url:
        # Where the carrier reports on texts the demo sends (and signs its webhooks for).
        rt.settings = rt.settings.with_overrides(public_base_url=base)
    web_thread = threading.Thread(target=server.serve_forever, name="demo-web", daemon=True)
    web_thread.start()

    # What the newcomer needs first, before the activity log starts scrolling.
    click.echo(f"contactcenter demo is running at {base}/")
    click.echo(f"  database: {settings.database_url} ({_seeded(created)})")
    click.echo(f"  simulated carrier: number {DEMO_NUMBER}, {calls_per_minute:g} calls/min, REST API at {api.url}")
    click.echo(f"  texts: customers text {DEMO_TEXT_NUMBER}; their conversations are tickets (Tickets page)")
    click.echo(f"  web chat: start one as a visitor at {base}/chat/demo; alice answers it on /desktop")
    logins = ", ".join(f"{u} ({r})" for u, r, _ in DEMO_LOGINS)
    click.echo(f"  logins (password: {DEMO_PASSWORD}): {logins}")
    click.echo(f"  simulated agents: {', '.join(SIMULATED_AGENTS)}; log in as alice to take calls on /desktop")
    outbound = ", ".join(u for u, _ in OUTBOUND_AGENTS)
    click.echo(f"  outbound: campaign {OUTBOUND_CAMPAIGN!r} dialed by the pacer, worked by {outbound} (Campaigns page)")
    notices = HoursNotices()
    _check_hours(rt, notices)
    click.echo("  Ctrl-C stops it." if not duration else f"  stopping after {duration:g} s.")

    stop = threading.Event()
    _start_worker(rt, stop)
    _start_acd(rt, base, stop)
    carrier.add_number(DEMO_NUMBER, f"{base}/hooks/voice", f"{base}/hooks/status")
    carrier.add_sms_number(DEMO_TEXT_NUMBER, f"{base}/hooks/sms")
    carrier.start()
    for mobile, text in DEMO_TEXTS:  # customers text in, through the carrier's signed webhooks
        carrier.send_text(mobile, DEMO_TEXT_NUMBER, text)
    _start_outbound(rt, base, carrier, stop)
    traffic = None
    if calls_per_minute > 0:
        callers = [number for _, number, _, _ in CUSTOMERS] + list(UNKNOWN_CALLERS)
        traffic = InboundTraffic(
            carrier, DEMO_NUMBER, calls_per_minute, _script, seed=int(time.time()), callers=callers
        )
        traffic.start()

    try:
        deadline = time.monotonic() + duration if duration else None
        next_check = time.monotonic() + HOURS_CHECK_S
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + HOURS_CHECK_S
                _check_hours(rt, notices)
    except KeyboardInterrupt:
        pass
    finally:
        if traffic is not None:
            traffic.stop()
        carrier.stop()
        stop.set()
        server.shutdown()
        api.stop()
        with rt.session_factory() as session:
            total = session.scalar(select(func.count(Interaction.id))) or 0
            live = session.scalar(select(func.count(Interaction.id)).where(Interaction.ended_at.is_(None))) or 0
        click.echo(f"stopped: {total} calls in the store, {live} of them still in progress")
        rt.close()
    return 0
