"""The one `contactcenter` command."""

from __future__ import annotations

import json
import sys

import click

from contactcenter import __version__


@click.group()
@click.version_option(__version__, prog_name="contactcenter")
def main() -> None:
    """Open, self-hostable call and contact center."""
    from contactcenter.app import logging_setup
    from contactcenter.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc
    # One logging set-up for every process; JSON lines in production (LOG_FORMAT=json|text).
    process = click.get_current_context().invoked_subcommand or "contactcenter"
    logging_setup.configure(process, json_lines=settings.log_json)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (DATABASE_URL; default a SQLite file)."""
    from contactcenter.config import load_settings
    from contactcenter.db import make_engine
    from contactcenter.migrate import current_revision, upgrade

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine, revision)
    click.echo(f"database at revision {current_revision(engine)}")


@db.command("seed")
@click.option("--json", "as_json", is_flag=True, help="print what was created as JSON")
def db_seed(as_json: bool) -> None:
    """Load the demo data into an empty database."""
    from contactcenter.app.demo_data import seed
    from contactcenter.app.runtime import build_runtime
    from contactcenter.db import transaction

    rt = build_runtime()
    with transaction(rt.session_factory) as session:
        created = seed(session)
    click.echo(json.dumps(created) if as_json else (f"seeded: {created}" if created else "already seeded"))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=32,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="request threads (Socket.IO connections each hold one while open)",
)
@click.option("--dev", is_flag=True, help="the development server instead of gunicorn")
def web(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the web app, Socket.IO and webhooks.

    One gunicorn process with many threads (Socket.IO's WebSocket and long-polling need a
    client's requests on one process); run more of these behind a load balancer with sticky
    sessions to scale out. Live events reach agents on any process through Redis.
    In production (CONTACTCENTER_ENV=production) it refuses to start with defaulted secrets.
    """
    from contactcenter.config import ConfigError, check_production, load_settings

    settings = load_settings()
    try:
        check_production(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    check_stores(settings.database_url, settings.redis_url)
    from web import create_serving_app

    if dev:
        from web.extensions import socketio

        socketio.run(create_serving_app(), host=host, port=port, allow_unsafe_werkzeug=True)
        return
    from web.wsgi import serve

    serve(create_serving_app, host=host, port=port, threads=threads)  # built in gunicorn's worker, after the fork


def check_stores(database_url: str, redis_url: str) -> None:
    """Stop a server process at start, with one line, when its database or Redis cannot serve it."""
    from contactcenter.app.startup_checks import stores_problem

    problem = stores_problem(database_url, redis_url)
    if problem:
        raise click.ClickException(problem)


@main.command()
@click.option("--queues", default="high,default,low", show_default=True)
@click.option("--burst", is_flag=True, help="process what is queued, then exit")
def worker(queues: str, burst: bool) -> None:
    """Run an RQ worker (with the scheduler for timed jobs)."""
    from rq import SimpleWorker, Worker

    from contactcenter.app import jobs, runtime
    from contactcenter.config import load_settings

    settings = load_settings()
    if settings.uses_embedded_redis:
        raise click.ClickException(
            "a separate worker needs REDIS_URL: the embedded Redis substitute lives inside one "
            "process (`contactcenter demo` runs its worker in-process)"
        )
    check_stores(settings.database_url, settings.redis_url)
    rt = runtime.current()
    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = set(names) - set(jobs.QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s): {', '.join(sorted(unknown))}", param_hint="--queues")
    import os

    # Each job runs in a forked work-horse: it must open database connections of its own, never
    # share the parent's pooled ones (SQLAlchemy's advice for os.fork).
    os.register_at_fork(after_in_child=lambda: rt.engine.dispose(close=False))
    jobs.mark_worker_process()  # a work-horse dies with this process, never outlives its lease
    from contactcenter.app import wiring

    wiring.announce_ticket_changes(rt.redis)
    # On SQLite, jobs run in the worker process itself: a SQLite connection (and SQLite's own
    # per-process lock table) does not survive fork() while other threads use the database.
    worker_class = SimpleWorker if rt.settings.database_url.startswith("sqlite") else Worker
    w = worker_class([jobs.queue(n, rt.redis) for n in names], connection=rt.redis)
    lease = None
    if not burst:
        import threading

        from contactcenter.app import ticker

        ticker.start(rt, threading.Event())  # one worker leads the ACD heartbeat at a time
        # While this process lives its lease stands; if it dies mid-job (kill -9, lost host) any
        # other worker hands the job back to RQ for a retry within seconds.
        lease = jobs.WorkerLease(rt.redis, w.name, worker=w).start()
    try:
        w.work(with_scheduler=True, burst=burst)
    finally:
        if lease is not None:
            lease.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--calls-per-minute", default=6.0, show_default=True, type=click.FloatRange(0, 600))
@click.option(
    "--duration", default=0.0, type=click.FloatRange(0), help="stop after this many seconds (0: run until Ctrl-C)"
)
def demo(host: str, port: int, calls_per_minute: float, duration: float) -> None:
    """Create the database, seed demo data, run web + worker + simulated carrier traffic."""
    from contactcenter.app.demo import run_demo

    sys.exit(run_demo(host=host, port=port, calls_per_minute=calls_per_minute, duration=duration))


def _register_domain_commands() -> None:
    """Sub-command groups that live with their domain package."""
    from contactcenter.app.commands.acd import erlang
    from contactcenter.app.commands.analytics import analytics
    from contactcenter.app.commands.dialer import from_segment_command, leads, pacer_command, simulate_dialer
    from contactcenter.app.commands.ivr import ivr
    from contactcenter.app.commands.mail import mail
    from contactcenter.app.commands.outbound import campaigns, dnc
    from contactcenter.app.commands.quality import quality
    from contactcenter.app.commands.simulate import simulate
    from contactcenter.app.commands.sms import sms
    from contactcenter.app.commands.tickets import api_token, report

    main.add_command(erlang)
    main.add_command(analytics)
    main.add_command(ivr)
    main.add_command(mail)
    main.add_command(sms)
    main.add_command(report)
    main.add_command(quality)
    main.add_command(api_token)
    main.add_command(leads)
    main.add_command(pacer_command)
    campaigns.add_command(from_segment_command)
    main.add_command(campaigns)
    main.add_command(dnc)
    # one `simulate` group: `simulate inbound` (ACD) and `simulate dialer` (outbound pacing)
    simulate.add_command(simulate_dialer)
    main.add_command(simulate)


_register_domain_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
