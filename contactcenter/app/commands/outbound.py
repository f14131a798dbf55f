"""`contactcenter campaigns …` and `contactcenter dnc …`: outbound administration from a shell.

contactcenter campaigns list [--json]
contactcenter campaigns create --name "Spring renewals" --caller-id 202-555-0100 --mode predictive \
    --company-name "Acme Energy" --callback-number 800-555-0123 [--queue sales] [--rules US|UK] [--json]
    [--calling-hours 09:00-20:00] [--days mon,tue,…] [--regions US,+44] [--retry busy=15 …]
    [--disposition 'sale | Sale | final' …] [--safe-harbor …] [--amd/--no-amd] [--script …]
contactcenter campaigns clone <id-or-name> --name "Spring renewals 2"
contactcenter campaigns start|pause|stop <id-or-name> [--yes]
contactcenter dnc add|remove|check <number> [--campaign …] [--reason …]
contactcenter dnc import numbers.csv [--campaign …] [--json]

Every verb is one unit of work: a refusal (bad number, unknown campaign, a setting the campaign
rules forbid) rolls everything back, so a failed command never leaves half its change behind.
Bad input is a usage error (exit 2); `dnc check` exits 1 when the number is blocked, so scripts
can tell "blocked" from "could not ask".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactcenter.dialer.models import Campaign

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class _Text(click.ParamType):
    """Free text for names and reasons: stored as data, but one line and of bounded length."""

    name = "text"

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if _CONTROL.search(text) or "\n" in text:
            self.fail("control characters and line breaks are not accepted", param, ctx)
        if len(text) > self.max_length:
            self.fail(f"at most {self.max_length} characters", param, ctx)
        return text


@contextmanager
def _store() -> Iterator[Session]:
    """The runtime's store as one transaction, the way `leads import` opens it."""
    from contactcenter.app import runtime
    from contactcenter.db import transaction

    with transaction(runtime.current().session_factory) as session:
        yield session


def _campaign(session: Session, ref: str, hint: str) -> Campaign:
    """A campaign by exact name, else by id; an unknown one is a bad parameter."""
    from sqlalchemy import select

    from contactcenter.dialer.models import Campaign

    found = session.scalars(select(Campaign).where(Campaign.name == ref)).first()
    if found is None and ref.isdigit() and len(ref) < 12:
        found = session.get(Campaign, int(ref))
    if found is None:
        raise click.BadParameter(f"no campaign named {ref!r}", param_hint=hint)
    return found


def _optional_campaign(session: Session, ref: str | None) -> Campaign | None:
    return None if ref is None else _campaign(session, ref, "'--campaign'")


def _e164(raw: str, region: str) -> str:
    from contactcenter.phones import InvalidPhoneNumber, normalize

    try:
        return normalize(raw, region)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(f"{raw!r}: {exc}", param_hint="'NUMBER'") from None


def _list_name(campaign: Campaign | None) -> str:
    return "the internal list" if campaign is None else f"campaign {campaign.name!r}'s list"


# ---------------------------------------------------------------- campaigns


@click.group()
def campaigns() -> None:
    """Outbound campaigns: list, create, and start, pause or stop them."""


def _campaign_row(campaign: Campaign, queue_name: str | None, leads: dict[str, int]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "mode": campaign.dial_mode,
        "status": campaign.status,
        "rules": campaign.rule_set,
        "queue": queue_name,
        "caller_id": campaign.caller_id,
        "leads": leads,
    }


@campaigns.command("list")
@click.option("--json", "as_json", is_flag=True, help="print the campaigns as JSON")
def list_command(as_json: bool) -> None:
    """Every campaign with its mode, status, queue, caller ID and leads by status."""
    from sqlalchemy import func, select

    from contactcenter.acd.models import Queue
    from contactcenter.dialer.models import Campaign, Lead

    with _store() as session:
        counts: dict[int, dict[str, int]] = {}
        grouped = select(Lead.campaign_id, Lead.status, func.count()).group_by(Lead.campaign_id, Lead.status)
        for campaign_id, status, count in session.execute(grouped):
            counts.setdefault(campaign_id, {})[status] = count
        queues = {queue_id: name for queue_id, name in session.execute(select(Queue.id, Queue.name))}
        rows = [
            _campaign_row(c, queues.get(c.queue_id) if c.queue_id else None, counts.get(c.id, {}))
            for c in session.scalars(select(Campaign).order_by(Campaign.id))
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("no campaigns")
        return
    for row in rows:
        leads = ", ".join(f"{k} {v}" for k, v in sorted(row["leads"].items())) or "no leads"
        click.echo(
            f"{row['id']:>4}  {row['name']}  {row['mode']}  {row['status']}  rules {row['rules']}  "
            f"queue {row['queue'] or '-'}  caller ID {row['caller_id']}  leads: {leads}"
        )


@campaigns.command("create")
@click.option("--name", required=True, type=_Text(120), help="unique campaign name")
@click.option("--caller-id", required=True, help="number the called party sees (any format)")
@click.option(
    "--mode",
    "dial_mode",
    required=True,
    type=click.Choice(["preview", "progressive", "predictive"]),
    help="dial mode",
)
@click.option("--company-name", required=True, type=_Text(120), help="the company the safe-harbor message names")
@click.option("--callback-number", required=True, help="number the safe-harbor message gives to call back")
@click.option("--queue", "queue_name", default=None, help="queue whose members are the campaign's agents")
@click.option("--rules", "rule_set", default="US", show_default=True, type=click.Choice(["US", "UK"]))
@click.option("--description", default=None, type=_Text(2000))
@click.option("--abandon-cap", type=click.FloatRange(0, 0.03), default=None, help="share of live answers (max 0.03)")
@click.option("--ring-timeout", "ring_timeout_s", type=click.IntRange(15, 120), default=None, help="seconds")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=None)
@click.option("--lead-order", type=click.Choice(["fifo", "lifo", "priority", "fewest_attempts"]), default=None)
@click.option("--time-zone", default=None, help="time zone the campaign reports in (default: the rules')")
@click.option("--calling-hours", default=None, help="HH:MM-HH:MM in the called party's local time (within the rules')")
@click.option("--days", default=None, help="calling days, e.g. mon,tue,wed,thu,fri")
@click.option("--holidays", default=None, help="dates not to call, e.g. 2026-12-25,2027-01-01")
@click.option("--regions", default=None, help="calling regions, e.g. US,+44 (default: the rules')")
@click.option("--safe-harbor", "safe_harbor_message", default=None, type=_Text(1000), help="the abandoned-call message")
@click.option("--amd/--no-amd", "amd_enabled", default=None, help="detect answering machines")
@click.option("--amd-action", type=click.Choice(["hangup", "message"]), default=None, help="what a machine gets")
@click.option("--amd-message", default=None, type=_Text(1000), help="the message left on a machine")
@click.option(
    "--retry", "retries", multiple=True, metavar="OUTCOME=MINUTES", help="retry spacing, e.g. busy=15 (repeatable)"
)
@click.option(
    "--disposition",
    "dispositions",
    multiple=True,
    metavar="'code | Label | flags'",
    help="a disposition (flags: final, dnc, dnc campaign, retry N); repeatable; default: the standard set",
)
@click.option("--script", default=None, type=_Text(20000), help="the call script")
@click.option("--max-dial-ratio", type=click.FloatRange(1, 10), default=None, help="lines per agent at most")
@click.option(
    "--order-by-value/--no-order-by-value", default=None, help="dial due leads by expected value × answer chance"
)
@click.option("--default-lead-value", type=click.FloatRange(0, 1e9), default=None, help="value of an unscored lead")
@click.option("--json", "as_json", is_flag=True, help="print the new campaign as JSON")
def create_command(
    name: str,
    caller_id: str,
    dial_mode: str,
    company_name: str,
    callback_number: str,
    queue_name: str | None,
    rule_set: str,
    description: str | None,
    abandon_cap: float | None,
    ring_timeout_s: int | None,
    max_attempts: int | None,
    lead_order: str | None,
    time_zone: str | None,
    calling_hours: str | None,
    days: str | None,
    holidays: str | None,
    regions: str | None,
    safe_harbor_message: str | None,
    amd_enabled: bool | None,
    amd_action: str | None,
    amd_message: str | None,
    retries: tuple[str, ...],
    dispositions: tuple[str, ...],
    script: str | None,
    max_dial_ratio: float | None,
    order_by_value: bool | None,
    default_lead_value: float | None,
    as_json: bool,
) -> None:
    """Create a campaign (a draft: `campaigns start` begins dialing), checked against its rules."""
    from sqlalchemy import select

    from contactcenter.acd.models import Queue
    from contactcenter.dialer.campaigns import CampaignError, create_campaign
    from contactcenter.dialer.models import Campaign

    options: dict[str, Any] = {"dial_mode": dial_mode, "rule_set": rule_set}
    extras = {
        "description": description,
        "abandon_cap": abandon_cap,
        "ring_timeout_s": ring_timeout_s,
        "max_attempts": max_attempts,
        "lead_order": lead_order,
        "time_zone": time_zone,
        "safe_harbor_message": safe_harbor_message,
        "amd_enabled": amd_enabled,
        "amd_action": amd_action,
        "amd_message": amd_message,
        "script": script,
        "max_dial_ratio": max_dial_ratio,
        "order_by_value": order_by_value,
        "default_lead_value": default_lead_value,
    }
    options.update({k: v for k, v in extras.items() if v is not None})
    options.update(_window_options(calling_hours, days, holidays, regions, retries, dispositions))
    with _store() as session:
        if session.scalars(select(Campaign.id).where(Campaign.name == name)).first() is not None:
            raise click.BadParameter(f"a campaign named {name!r} already exists", param_hint="'--name'")
        if queue_name is not None:
            queue = session.scalars(select(Queue).where(Queue.name == queue_name)).first()
            if queue is None:
                raise click.BadParameter(f"no queue named {queue_name!r}", param_hint="'--queue'")
            options["queue_id"] = queue.id
        try:
            campaign = create_campaign(
                session,
                name=name,
                caller_id=caller_id,
                company_name=company_name,
                callback_number=callback_number,
                **options,
            )
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from None
        row = _campaign_row(campaign, queue_name, {})
    if as_json:
        click.echo(json.dumps(row))
    else:
        click.echo(f"created campaign {row['id']} {row['name']!r} ({row['mode']}, {row['status']})")


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


def _window_options(
    calling_hours: str | None,
    days: str | None,
    holidays: str | None,
    regions: str | None,
    retries: tuple[str, ...],
    dispositions: tuple[str, ...],
) -> dict[str, Any]:
    """The calling window, regions, retry spacing and dispositions the options ask for (their
    values are the domain's to accept); a malformed option is a usage error naming it."""
    from contactcenter.dialer.campaigns import CampaignError, parse_dispositions
    from contactcenter.dialer.models import ALL_DAYS, DEFAULT_RETRY_DELAYS

    options: dict[str, Any] = {}
    window: dict[str, Any] = {}
    if calling_hours is not None:
        match = re.fullmatch(r"(\d{2}:\d{2})-(\d{2}:\d{2})", calling_hours.strip())
        if match is None:
            raise click.BadParameter("give the hours as HH:MM-HH:MM", param_hint="'--calling-hours'")
        window["start"], window["end"] = match.groups()
    if days is not None:
        chosen = [d.lower() for d in _listed(days)]
        if not chosen or set(chosen) - set(ALL_DAYS):
            raise click.BadParameter(f"days are {', '.join(ALL_DAYS)}", param_hint="'--days'")
        window["days"] = chosen
    if holidays is not None:
        window["holidays"] = _listed(holidays)
    if window:
        options["calling_window"] = window
    if regions is not None:
        options["allowed_regions"] = [r.upper() for r in _listed(regions)]
    if retries:
        delays: dict[str, int] = {}
        for item in retries:
            outcome, _, minutes = item.partition("=")
            if outcome.strip() not in DEFAULT_RETRY_DELAYS or not minutes.strip().isdigit():
                known = ", ".join(DEFAULT_RETRY_DELAYS)
                raise click.BadParameter(f"{item!r}: OUTCOME=MINUTES, OUTCOME one of {known}", param_hint="'--retry'")
            delays[outcome.strip()] = int(minutes) * 60
        options["retry_delays"] = {**DEFAULT_RETRY_DELAYS, **delays}
    if dispositions:
        try:
            options["dispositions"] = parse_dispositions("\n".join(dispositions))
        except CampaignError as exc:
            raise click.BadParameter(exc.message, param_hint="'--disposition'") from None
    return options


@campaigns.command("clone")
@click.argument("campaign_ref", metavar="CAMPAIGN")
@click.option("--name", required=True, type=_Text(120), help="the new campaign's name")
@click.option("--json", "as_json", is_flag=True, help="print the new campaign as JSON")
def clone_command(campaign_ref: str, name: str, as_json: bool) -> None:
    """A new draft with a campaign's settings and agents (no leads); how a stopped one runs again."""
    from contactcenter.dialer.campaigns import CampaignError, clone_campaign

    with _store() as session:
        source = _campaign(session, campaign_ref, "'CAMPAIGN'")
        try:
            clone = clone_campaign(session, source, name)
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from None
        row = _campaign_row(clone, None, {})
    if as_json:
        click.echo(json.dumps(row))
    else:
        click.echo(
            f"created campaign {row['id']} {row['name']!r} ({row['mode']}, {row['status']}) from {campaign_ref!r}"
        )


def _lifecycle(ref: str, step: str) -> None:
    from contactcenter.dialer import campaigns as domain

    steps = {"start": domain.start_campaign, "pause": domain.pause_campaign, "stop": domain.stop_campaign}
    with _store() as session:
        campaign = _campaign(session, ref, "'CAMPAIGN'")
        try:
            steps[step](session, campaign)
        except domain.CampaignError as exc:
            raise click.ClickException(f"{campaign.name!r}: {exc}") from None
        done = f"campaign {campaign.id} {campaign.name!r} is {campaign.status}"
    click.echo(done)


@campaigns.command("start")
@click.argument("campaign_ref", metavar="CAMPAIGN")
def start_command(campaign_ref: str) -> None:
    """Start (or resume) dialing a campaign, given by name or id."""
    _lifecycle(campaign_ref, "start")


@campaigns.command("pause")
@click.argument("campaign_ref", metavar="CAMPAIGN")
def pause_command(campaign_ref: str) -> None:
    """Pause a running campaign; calls in flight end normally."""
    _lifecycle(campaign_ref, "pause")


@campaigns.command("stop")
@click.argument("campaign_ref", metavar="CAMPAIGN")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def stop_command(campaign_ref: str, yes: bool) -> None:
    """Stop a campaign for good (it cannot start again); asks first, since it cannot be undone."""
    if not yes:
        click.confirm(f"Stop campaign {campaign_ref!r} for good?", abort=True)
    _lifecycle(campaign_ref, "stop")


# ---------------------------------------------------------------- do-not-call


@click.group()
def dnc() -> None:
    """Do-not-call lists: the internal list (every campaign) or one campaign's."""


_CAMPAIGN_OPTION = click.option(
    "--campaign", "campaign_ref", default=None, help="campaign name or id (default: the internal list)"
)


@dnc.command("add")
@click.argument("number")
@_CAMPAIGN_OPTION
@click.option("--reason", default="", type=_Text(255), help="why the number must not be called")
def dnc_add(number: str, campaign_ref: str | None, reason: str) -> None:
    """Put a number on a do-not-call list (already listed: kept, any expiry lifted)."""
    from contactcenter.dialer import dnc as domain

    with _store() as session:
        campaign = _optional_campaign(session, campaign_ref)
        region = campaign.default_region if campaign else "US"
        e164 = _e164(number, region)
        domain.add(
            session,
            e164,
            campaign_id=campaign.id if campaign else None,
            source="manual",
            reason=reason,
            default_region=region,
        )
        done = f"{e164} is on {_list_name(campaign)}"
    click.echo(done)


@dnc.command("remove")
@click.argument("number")
@_CAMPAIGN_OPTION
def dnc_remove(number: str, campaign_ref: str | None) -> None:
    """Take a number off a do-not-call list."""
    from contactcenter.dialer import dnc as domain

    with _store() as session:
        campaign = _optional_campaign(session, campaign_ref)
        region = campaign.default_region if campaign else "US"
        e164 = _e164(number, region)
        removed = domain.remove(session, e164, campaign_id=campaign.id if campaign else None, default_region=region)
        done = f"{e164} {'removed from' if removed else 'was not on'} {_list_name(campaign)}"
    click.echo(done)


@dnc.command("check")
@click.argument("number")
@_CAMPAIGN_OPTION
@click.pass_context
def dnc_check(ctx: click.Context, number: str, campaign_ref: str | None) -> None:
    """Whether a number may be called now, and which list forbids it (exit 1 when blocked)."""
    from contactcenter.dialer import dnc as domain

    with _store() as session:
        campaign = _optional_campaign(session, campaign_ref)
        e164 = _e164(number, campaign.default_region if campaign else "US")
        hit = domain.check(session, e164, campaign.id if campaign else None)
        scope = f" for campaign {campaign.name!r}" if campaign else ""
        if hit is None:
            click.echo(f"{e164} is not blocked{scope}")
            return
        where = "the internal list" if hit.list == domain.INTERNAL else "the campaign's list"
        why = f", reason: {hit.reason}" if hit.reason else ""
        click.echo(f"{e164} is blocked{scope}: on {where} (source {hit.source}{why})")
    ctx.exit(1)


def _read_dnc_file(path: Path) -> str:
    """The file's text, or a clear refusal for one too big, binary or not text at all."""
    from contactcenter.dialer.dnc_import import MAX_FILE_BYTES, DncFileError, decode

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise click.BadParameter(
            f"{path.name} is {size} bytes; at most {MAX_FILE_BYTES} are accepted", param_hint="'CSV_FILE'"
        )
    try:
        return decode(path.read_bytes(), path.name)
    except DncFileError as exc:
        raise click.BadParameter(str(exc), param_hint="'CSV_FILE'") from None


@dnc.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_CAMPAIGN_OPTION
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def dnc_import(csv_file: Path, campaign_ref: str | None, as_json: bool) -> None:
    """Add the numbers of a CSV file (a `phone` column, else the first) with a validation report."""
    from contactcenter.dialer.dnc_import import DncFileError, import_text

    text = _read_dnc_file(csv_file)
    with _store() as session:
        campaign = _optional_campaign(session, campaign_ref)
        try:
            report = import_text(
                session,
                text,
                campaign_id=campaign.id if campaign else None,
                default_region=campaign.default_region if campaign else "US",
            )
        except DncFileError as exc:
            raise click.BadParameter(str(exc), param_hint="'CSV_FILE'") from None
        target = _list_name(campaign)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"{csv_file.name} into {target}: {report.rows} rows")
    click.echo(f"  imported: {report.imported}")
    click.echo(f"  already listed: {report.already_listed}")
    click.echo(f"  duplicates in the file: {report.duplicates_in_file}")
    click.echo(f"  rejected: {len(report.rejected)}")
    for line, raw, why in report.rejected:
        click.echo(f"    line {line}: {raw!r}: {why}")
