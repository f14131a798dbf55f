"""`contactcenter report …` and `contactcenter api-token …`.

contactcenter report sla --from 2026-06-01 --to 2026-07-01 --json
contactcenter report intervals --from 2026-06-01 --to 2026-06-07 --tz Europe/Paris --formula in-t --csv
contactcenter report agents --from 2026-06-01 --to 2026-06-01 --daily
contactcenter report daily --from 2026-06-01 --to 2026-06-30 --json
contactcenter report intervals --from 2026-06-01 --to 2026-06-01 --minutes 30
contactcenter report dialer --from 2026-06-01 --to 2026-06-07 --csv
contactcenter api-token create --user alice --name "CRM sync" --read-only
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import click
from sqlalchemy import select


def _instant(value: str | None, param: str) -> datetime | None:
    """YYYY-MM-DD (midnight UTC) or an ISO 8601 instant with its offset."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD or an ISO 8601 date and time", param_hint=param) from None
    if len(value.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time(0), UTC)
    if parsed.tzinfo is None:
        raise click.BadParameter("give the time zone offset (e.g. 2026-06-01T00:00:00+00:00)", param_hint=param)
    return parsed.astimezone(UTC)


@click.group()
def report() -> None:
    """Reports from the CRM store."""


@report.command("sla")
@click.option("--from", "start", metavar="DATE", help="decided on or after (YYYY-MM-DD, UTC midnight, or ISO 8601)")
@click.option("--to", "end", metavar="DATE", help="decided before (same formats)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV")
def report_sla(start: str | None, end: str | None, as_json: bool, as_csv: bool) -> None:
    """Ticket SLA hit rates per policy, priority, queue and metric."""
    from contactcenter.app import runtime
    from contactcenter.db import transaction
    from contactcenter.tickets.reports import sla_hit_rates

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    start_at, end_at = _instant(start, "--from"), _instant(end, "--to")
    if start_at and end_at and end_at <= start_at:
        raise click.BadParameter("--to must be after --from", param_hint="--to")
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        result = sla_hit_rates(session, start=start_at, end=end_at)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    if as_csv:
        click.echo(result.to_csv(), nl=False)
        return
    window = f"{start_at.isoformat() if start_at else 'beginning'} to {end_at.isoformat() if end_at else 'now'}"
    click.echo(f"Ticket SLA hit rates, {window}")
    if not result.rows:
        click.echo("no SLA clocks were decided in this window")
        return
    header = (
        f"{'policy':<24} {'priority':<8} {'queue':<16} {'metric':<15} {'met':>6} {'breached':>8} "
        f"{'unanswered':>10} {'hit rate':>8}"
    )
    click.echo(header)
    click.echo("-" * len(header))
    for row in result.rows:
        rate = "-" if row.hit_rate is None else f"{row.hit_rate:.1%}"
        click.echo(
            f"{(row.policy or '(none)')[:24]:<24} {row.priority:<8} {(row.queue or '(none)')[:16]:<16} "
            f"{row.metric:<15} {row.met:>6} {row.breached:>8} {row.unanswered:>10} {rate:>8}"
        )
    for metric, figures in result.totals().items():
        rate = "-" if figures["hit_rate"] is None else f"{figures['hit_rate']:.1%}"
        click.echo(
            f"total {metric}: {figures['met']} met, {figures['breached']} breached, "
            f"{figures['unanswered']} unanswered, {rate}"
        )


def _day(value: str | None, param: str) -> date:
    if value is None:
        raise click.BadParameter("required (YYYY-MM-DD)", param_hint=param)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)", param_hint=param) from None


def _days(start: str | None, end: str | None) -> tuple[date, date]:
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise click.BadParameter("--to must be on or after --from", param_hint="--to")
    return first, last


def _zone(name: str) -> str:
    from contactcenter.tickets.intervals import ReportError, zone

    try:
        zone(name)
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    return name


def _emit(result, as_json: bool, as_csv: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        click.echo(json.dumps(result.to_dict()))
    elif as_csv:
        click.echo(result.to_csv(), nl=False)
    else:
        for line in result.lines():
            click.echo(line)


def _window_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--csv", "as_csv", is_flag=True, help="print CSV")(func)
    func = click.option("--json", "as_json", is_flag=True, help="print JSON")(func)
    func = click.option(
        "--tz", "time_zone", default="UTC", show_default=True, help="time zone days and intervals are cut in"
    )(func)
    func = click.option("--to", "end", metavar="DATE", required=True, help="last local day included (YYYY-MM-DD)")(func)
    func = click.option("--from", "start", metavar="DATE", required=True, help="first local day (YYYY-MM-DD)")(func)
    return func


_MINUTES = {"15": "interval", "30": "30min", "60": "hour"}


def _granularity(daily: bool, minutes: str) -> str:
    if daily and minutes != "15":
        raise click.UsageError("choose one of --daily and --minutes")
    return "day" if daily else _MINUTES[minutes]


def _run(build, as_json: bool, as_csv: bool) -> None:  # type: ignore[no-untyped-def]
    from contactcenter.app import runtime
    from contactcenter.db import transaction
    from contactcenter.tickets.intervals import ReportError

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        try:
            result = build(session)
        except ReportError as exc:
            raise click.UsageError(str(exc)) from None
    _emit(result, as_json, as_csv)


@report.command("intervals")
@_window_options
@click.option("--queue", help="only this queue (its name)")
@click.option(
    "--formula",
    default="offered",
    show_default=True,
    metavar="NAME",
    help="service-level formula: offered, late-abandons, in-t, each optionally with -no-short",
)
@click.option("--daily", is_flag=True, help="one row per local day instead of per 15 minutes")
@click.option("--minutes", type=click.Choice(list(_MINUTES)), default="15", show_default=True, help="interval length")
def report_intervals(
    start: str,
    end: str,
    time_zone: str,
    as_json: bool,
    as_csv: bool,
    queue: str | None,
    formula: str,
    daily: bool,
    minutes: str,
) -> None:
    """Calls per queue per 15 minutes: offered, answered, SL, abandons, ASA, AHT, longest wait."""
    from contactcenter.tickets.intervals import FORMULAS
    from contactcenter.tickets.reports import interval_report

    first, last = _days(start, end)
    if formula not in FORMULAS:
        raise click.BadParameter(f"unknown formula {formula!r}; one of {', '.join(FORMULAS)}", param_hint="--formula")
    tz = _zone(time_zone)
    _run(
        lambda s: interval_report(
            s, first, last, time_zone=tz, queue=queue, sl_formula=formula, granularity=_granularity(daily, minutes)
        ),
        as_json,
        as_csv,
    )


@report.command("agents")
@_window_options
@click.option("--agent", help="only this agent (username)")
@click.option("--daily", is_flag=True, help="one row per local day instead of per 15 minutes")
@click.option("--minutes", type=click.Choice(list(_MINUTES)), default="15", show_default=True, help="interval length")
def report_agents(
    start: str, end: str, time_zone: str, as_json: bool, as_csv: bool, agent: str | None, daily: bool, minutes: str
) -> None:
    """Agents per 15 minutes (or day): handled calls, AHT, occupancy, time in each state."""
    from contactcenter.tickets.reports import agent_report

    first, last = _days(start, end)
    tz = _zone(time_zone)
    _run(
        lambda s: agent_report(s, first, last, time_zone=tz, agent=agent, granularity=_granularity(daily, minutes)),
        as_json,
        as_csv,
    )


@report.command("channels")
@_window_options
@click.option("--daily", is_flag=True, help="one row per local day instead of per 15 minutes")
@click.option("--minutes", type=click.Choice(list(_MINUTES)), default="60", show_default=True, help="interval length")
def report_channels(
    start: str, end: str, time_zone: str, as_json: bool, as_csv: bool, daily: bool, minutes: str
) -> None:
    """First replies per channel (chat, e-mail, SMS, …) and interval: met, breached, SL, median reply."""
    from contactcenter.tickets.reports import channel_report

    first, last = _days(start, end)
    tz = _zone(time_zone)
    granularity = "day" if daily else _MINUTES[minutes]
    _run(lambda s: channel_report(s, first, last, time_zone=tz, granularity=granularity), as_json, as_csv)


@report.command("daily")
@_window_options
def report_daily(start: str, end: str, time_zone: str, as_json: bool, as_csv: bool) -> None:
    """IVR containment per flow and CSAT, per local day."""
    from contactcenter.ivr.reports import containment
    from contactcenter.tickets.reports import daily_report

    first, last = _days(start, end)
    tz = _zone(time_zone)
    _run(lambda s: daily_report(s, first, last, containment=containment, time_zone=tz), as_json, as_csv)


@report.command("dialer")
@_window_options
def report_dialer(start: str, end: str, time_zone: str, as_json: bool, as_csv: bool) -> None:
    """Per campaign: dials, live answers, connects, abandons, and the regulatory period's abandon rate."""
    from contactcenter.dialer.reports import dialer_report

    first, last = _days(start, end)
    tz = _zone(time_zone)
    _run(lambda s: dialer_report(s, first, last, time_zone=tz), as_json, as_csv)


@click.group("api-token")
def api_token() -> None:
    """API tokens for integrations (shown once, stored hashed)."""


@api_token.command("create")
@click.option("--user", "username", required=True, help="the user the token acts as")
@click.option("--name", required=True, help="what the token is for")
@click.option("--read-only", is_flag=True, help="the token may only read")
@click.option("--json", "as_json", is_flag=True)
def api_token_create(username: str, name: str, read_only: bool, as_json: bool) -> None:
    """Create a token and print it; it cannot be shown again."""
    from contactcenter.accounts.models import User
    from contactcenter.app import runtime
    from contactcenter.db import transaction
    from contactcenter.tickets.api_tokens import TokenError, issue

    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise click.BadParameter(f"no user {username!r}", param_hint="--user")
        try:
            issued = issue(session, user, name, read_only=read_only)
        except TokenError as exc:
            raise click.BadParameter(str(exc), param_hint="--name") from None
        token_id = issued.token.id
    if as_json:
        click.echo(json.dumps({"id": token_id, "token": issued.secret, "user": user.username, "read_only": read_only}))
    else:
        click.echo(f"token {token_id} for {user.username} (shown once): {issued.secret}")


@api_token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def api_token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    from contactcenter.app import runtime
    from contactcenter.db import transaction
    from contactcenter.tickets.api_tokens import revoke
    from contactcenter.tickets.models import ApiToken

    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.BadParameter(f"no token {token_id}", param_hint="TOKEN_ID")
        changed = revoke(session, token)
    click.echo(f"token {token_id} revoked" if changed else f"token {token_id} was already revoked")
