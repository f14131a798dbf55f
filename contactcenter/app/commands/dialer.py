"""`contactcenter leads import` and `contactcenter simulate dialer`.

contactcenter leads import leads.csv --campaign "Spring renewals" [--json] [--rejections rejected.csv]
contactcenter campaigns from-segment --name "Win back" --segment at_risk [--min-tier high] --caller-id ... [--json]
contactcenter simulate dialer --agents 50 --answer-rate 0.25 --aht 180 --hours 8 --mode predictive --seed 1 --json
"""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path

import click

_SHARE = click.FloatRange(0, 1, min_open=True)


@click.group()
def leads() -> None:
    """Lead lists of outbound campaigns."""


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _sniff_encoding(path: Path) -> str:
    """utf-8-sig when the whole file is valid UTF-8, else cp1252, else latin-1 (never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


@leads.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_ref", required=True, help="campaign name or id")
@click.option("--encoding", default="auto", show_default=True, help="file encoding (auto: UTF-8, else Windows-1252)")
@click.option(
    "--rejections",
    "rejections_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the rejected rows (line, reason, raw text) to this CSV file",
)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def import_command(
    csv_file: Path, campaign_ref: str, encoding: str, rejections_out: Path | None, as_json: bool
) -> None:
    """Import leads from a CSV file, with a validation report (nothing is dropped silently)."""
    from sqlalchemy import select

    from contactcenter.app import runtime
    from contactcenter.dialer.leads_import import LeadImportError, import_leads, rejections_csv
    from contactcenter.dialer.models import Campaign

    rt = runtime.current()
    encoding = _sniff_encoding(csv_file) if encoding == "auto" else encoding
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise click.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from None
    total_lines = max(0, _count_lines(csv_file) - 1)
    session = rt.session_factory()
    try:
        query = select(Campaign).where(Campaign.name == campaign_ref)
        campaign = session.scalars(query).first()
        if campaign is None and campaign_ref.isdigit():
            campaign = session.get(Campaign, int(campaign_ref))
        if campaign is None:
            raise click.ClickException(f"no campaign named {campaign_ref!r}")
        campaign_name = campaign.name
        with (
            csv_file.open("r", encoding=encoding, newline="") as stream,
            click.progressbar(length=total_lines, label="Importing leads", file=sys.stderr) as bar,
        ):
            done = [0]

            def progress(rows: int) -> None:
                bar.update(max(0, rows - done[0]))
                done[0] = rows

            try:
                report = import_leads(
                    session,
                    campaign,
                    stream,
                    filename=csv_file.name,
                    source="cli",
                    encoding=encoding,
                    progress=progress,
                )
            except LeadImportError as exc:
                session.commit()  # keep the failed import's record
                raise click.ClickException(f"{csv_file.name}: {exc}") from None
        session.commit()
        if rejections_out is not None and report.import_id is not None:
            rejections_out.write_text(rejections_csv(session, report.import_id), encoding="utf-8")
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(f"import {report.import_id} into campaign {campaign_name!r}:")
        for line in report.summary_lines():
            click.echo(line)
        if rejections_out is not None:
            click.echo(f"rejected rows written to {rejections_out}")


SUMMARY_KEYS = (
    "mode",
    "seed",
    "agents",
    "hours",
    "answer_rate",
    "aht_s",
    "calls_placed",
    "answered",
    "connected",
    "abandoned",
    "abandon_rate",
    "max_period_abandon_rate",
    "max_running_abandon_rate",
    "abandon_cap",
    "agent_occupancy",
    "talk_minutes_per_agent_hour",
    "machines",
    "busy",
    "no_answer",
    "failed",
    "canceled",
    "amd_false_positives",
    "machine_verdicts",
    "unscreened_calls",
    "machines_to_agents",
    "reported_abandon_rate",
    "max_running_reported_abandon_rate",
    "mean_wait_for_answer_s",
    "decisions",
)


@click.command("dialer")
@click.option("--agents", default=20, show_default=True, type=click.IntRange(1, 2000))
@click.option(
    "--answer-rate", default=0.25, show_default=True, type=_SHARE, help="share of dials a live person answers"
)
@click.option(
    "--aht",
    default=180.0,
    show_default=True,
    type=click.FloatRange(10, 7200),
    help="average handle time (talk + wrap), seconds",
)
@click.option(
    "--wrap",
    default=20.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="mean wrap-up, seconds (part of AHT)",
)
@click.option("--hours", default=1.0, show_default=True, type=click.FloatRange(0.01, 24 * 31))
@click.option(
    "--mode", default="predictive", show_default=True, type=click.Choice(["predictive", "progressive", "preview"])
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--machine-rate",
    default=0.10,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="share of dials a machine answers",
)
@click.option(
    "--amd-false-positive",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="share of live people AMD calls machines",
)
@click.option("--ring-timeout", default=25, show_default=True, type=click.IntRange(15, 120))
@click.option("--rule-set", default="US", show_default=True, type=click.Choice(["US", "UK"]))
@click.option("--cap", "abandon_cap", default=0.03, show_default=True, type=click.FloatRange(0, 0.03))
@click.option(
    "--shock",
    "shocks",
    multiple=True,
    metavar="KIND@HOURS",
    help="answer-rate-halves, answer-rate-doubles or half-agents-logout, at an hour of the run",
)
@click.option(
    "--target-share", default=None, type=_SHARE, help="pacer: marginal abandonment target as a share of the cap"
)
@click.option(
    "--exposure-confidence", default=None, type=click.FloatRange(0.5, 1), help="pacer: 1 = worst-case exposure bound"
)
@click.option(
    "--amd-when-draining",
    default=None,
    type=click.Choice(["progressive", "off"]),
    help="pacer (UK): when AMD's false positives alone reach the cap, stop over-dialing or turn AMD off",
)
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def simulate_dialer(
    agents: int,
    answer_rate: float,
    aht: float,
    wrap: float,
    hours: float,
    mode: str,
    seed: int,
    machine_rate: float,
    amd_false_positive: float,
    ring_timeout: int,
    rule_set: str,
    abandon_cap: float,
    shocks: tuple[str, ...],
    target_share: float | None,
    exposure_confidence: float | None,
    amd_when_draining: str | None,
    as_json: bool,
) -> None:
    """Run the real pacer against a simulated campaign (call model: docs/dialer.md)."""
    from contactcenter.dialer.simulation import Shock, SimulationConfig, simulate as run

    options = (
        ("target_share", target_share),
        ("exposure_confidence", exposure_confidence),
        ("amd_when_draining", amd_when_draining),
    )
    pacing = tuple((k, v) for k, v in options if v is not None)
    try:
        config = SimulationConfig(
            agents=agents,
            answer_rate=answer_rate,
            aht_s=aht,
            wrap_s=min(wrap, aht / 2),
            hours=hours,
            mode=mode,
            seed=seed,
            machine_rate=machine_rate,
            busy_rate=min(0.06, max(0.0, 1 - answer_rate - machine_rate)),
            failed_rate=min(0.02, max(0.0, 1 - answer_rate - machine_rate - 0.06)),
            amd_false_positive=amd_false_positive,
            ring_timeout_s=ring_timeout,
            rule_set=rule_set,
            abandon_cap=abandon_cap,
            shocks=tuple(Shock.parse(s) for s in shocks),
            pacing=pacing,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    result = run(config).to_dict()
    if as_json:
        click.echo(json.dumps(result))
        return
    width = max(len(k) for k in SUMMARY_KEYS)
    for key in SUMMARY_KEYS:
        click.echo(f"{key.ljust(width)}  {result[key]}")


@click.command("pacer")
@click.option(
    "--base-url", default="", help="public URL of the web app, for the carrier's webhooks (default: PUBLIC_BASE_URL)"
)
@click.option(
    "--tick",
    "tick_s",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 10),
    help="seconds between decisions when nothing happens",
)
@click.option("--max-steps", type=click.IntRange(1), default=None, help="stop after this many passes")
def pacer_command(base_url: str, tick_s: float, max_steps: int | None) -> None:
    """Run the outbound pacer: one leader (a Redis lock) dials every running campaign."""
    import signal
    import threading

    from contactcenter.app import runtime
    from contactcenter.app.services import pacer_worker
    from contactcenter.app.startup_checks import stores_problem
    from contactcenter.config import load_settings

    settings = load_settings()
    if settings.uses_embedded_redis:
        raise click.ClickException("the pacer needs REDIS_URL: it coordinates with the web processes through Redis")
    problem = stores_problem(settings.database_url, settings.redis_url)
    if problem:
        raise click.ClickException(problem)
    rt = runtime.current()
    base = (base_url or rt.settings.public_base_url or "").rstrip("/")
    if not base:
        raise click.ClickException("give --base-url (or set PUBLIC_BASE_URL): the carrier must reach the webhooks")
    worker = pacer_worker(rt, base, tick_s=tick_s)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"pacer running (webhooks under {base}/hooks/dialer); Ctrl-C stops it", err=True)
    worker.run(stop, max_steps=max_steps)


@click.command("from-segment")
@click.option("--name", required=True, help="the new campaign's unique name")
@click.option("--segment", required=True, help="the RFM segment whose customers become the leads")
@click.option(
    "--min-tier",
    default=None,
    type=click.Choice(["low", "medium", "high", "top"]),
    help="only customers at or above this predicted-value tier",
)
@click.option("--caller-id", required=True, help="number the called party sees (any format)")
@click.option("--company-name", required=True, help="the company the safe-harbor message names")
@click.option("--callback-number", required=True, help="number the safe-harbor message gives to call back")
@click.option(
    "--mode",
    "dial_mode",
    default="progressive",
    show_default=True,
    type=click.Choice(["preview", "progressive", "predictive"]),
)
@click.option("--rules", "rule_set", default="US", show_default=True, type=click.Choice(["US", "UK"]))
@click.option("--order-by-value/--no-order-by-value", default=False, help="dial the best expected value first")
@click.option("--default-lead-value", type=click.FloatRange(0, 1e9), default=None, help="value of an unscored lead")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def from_segment_command(
    name: str,
    segment: str,
    min_tier: str | None,
    caller_id: str,
    company_name: str,
    callback_number: str,
    dial_mode: str,
    rule_set: str,
    order_by_value: bool,
    default_lead_value: float | None,
    as_json: bool,
) -> None:
    """A draft retention campaign whose leads are an RFM segment's customers (skips counted by reason)."""
    from contactcenter.app.commands.outbound import _store
    from contactcenter.dialer.campaigns import CampaignError
    from contactcenter.dialer.segment_campaign import create_from_segment

    settings: dict[str, object] = {
        "name": name,
        "caller_id": caller_id,
        "company_name": company_name,
        "callback_number": callback_number,
        "dial_mode": dial_mode,
        "rule_set": rule_set,
        "order_by_value": order_by_value,
    }
    if default_lead_value is not None:
        settings["default_lead_value"] = default_lead_value
    try:
        with _store() as session:
            report = create_from_segment(session, segment=segment, min_tier=min_tier, settings=settings)
            result = report.as_dict()
            lines = report.summary_lines()
    except CampaignError as exc:
        if exc.field in ("segment", "min_tier"):
            raise click.BadParameter(str(exc), param_hint=f"'--{exc.field.replace('_', '-')}'") from None
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result))
    else:
        for line in lines:
            click.echo(line)
