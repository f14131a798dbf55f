"""`contactcenter report …` and `contactcenter api-token …`.

    contactcenter report sla --from 2026-06-01 --to 2026-07-01 --json
    contactcenter api-token create --user alice --name "CRM sync" --read-only
"""

from __future__ import annotations

import json
from datetime import datetime, time, timezone

import click
from sqlalchemy import select

UTC = timezone.utc


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
    from contactcenter import runtime
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
    header = f"{'policy':<24} {'priority':<8} {'queue':<16} {'metric':<15} {'met':>6} {'breached':>8} {'hit rate':>8}"
    click.echo(header)
    click.echo("-" * len(header))
    for row in result.rows:
        rate = "-" if row.hit_rate is None else f"{row.hit_rate:.1%}"
        click.echo(
            f"{(row.policy or '(none)')[:24]:<24} {row.priority:<8} {(row.queue or '(none)')[:16]:<16} "
            f"{row.metric:<15} {row.met:>6} {row.breached:>8} {rate:>8}"
        )
    for metric, figures in result.totals().items():
        click.echo(f"total {metric}: {figures['met']} met, {figures['breached']} breached, {figures['hit_rate']:.1%}")


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
    from contactcenter import runtime
    from contactcenter.accounts.models import User
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
    from contactcenter import runtime
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
