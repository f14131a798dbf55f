"""`contactcenter quality report`: the quality report page's figures on the command line.

contactcenter quality report --from 2026-06-01 --to 2026-06-30
contactcenter quality report --from 2026-06-01 --to 2026-06-30 --queue support --csv > quality.csv
contactcenter quality report --from 2026-06-01 --to 2026-06-30 --agent alice --json

The range and filters are read by `contactcenter.quality.report_query`, as the page and the API
read theirs, so the three refuse the same input with the same words and cut weeks the same way
(Monday-started, in the centre's time zone unless --tz names another).
"""

from __future__ import annotations

import json

import click


@click.group()
def quality() -> None:
    """Quality scorecards: the weekly report."""


@quality.command("report")
@click.option("--from", "start", metavar="DATE", help="first local day (YYYY-MM-DD; default eight weeks before --to)")
@click.option("--to", "end", metavar="DATE", help="last local day included (YYYY-MM-DD; default today)")
@click.option("--queue", help="only this queue (its name)")
@click.option("--agent", help="only this agent (username)")
@click.option("--tz", "time_zone", metavar="ZONE", help="time zone weeks are cut in (default: the centre's)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV (the report page's download)")
def quality_report(
    start: str | None,
    end: str | None,
    queue: str | None,
    agent: str | None,
    time_zone: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Average score, evaluations and auto-fails per agent and per queue per week."""
    from contactcenter.app import runtime
    from contactcenter.db import transaction
    from contactcenter.quality import report_output, report_query
    from contactcenter.quality.services import QualityService
    from contactcenter.tickets import intervals

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if time_zone is not None:
        try:
            intervals.zone(time_zone)
        except intervals.ReportError:
            raise click.BadParameter(
                "unknown time zone; use a name such as Europe/Paris or UTC", param_hint="--tz"
            ) from None
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        args = {"from": start, "to": end, "queue": queue, "agent": agent}
        try:
            query = report_query.parse(session, args, time_zone=time_zone)
        except report_query.InvalidReportQuery as exc:
            field = next(iter(exc.errors))
            raise click.BadParameter(exc.errors[field], param_hint=f"--{field}") from None
        found = QualityService(session).report(
            query.first, query.last, time_zone=query.time_zone, queue_id=query.queue_id, agent_id=query.agent_id
        )
        if as_csv:
            click.echo(report_output.report_csv(found), nl=False)
            return
        body = report_output.report_dict(found)
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(
        f"{body['from']} to {body['to']} ({body['time_zone']}, weeks start Monday): "
        f"{body['evaluations']} evaluations, {body['auto_fails']} auto-failed"
    )
    for group, rows in (("Agent", body["by_agent"]), ("Queue", body["by_queue"])):
        click.echo(f"\n{'Week':<12}{group:<28}{'Evaluations':>12}{'Average':>10}{'Auto-fails':>12}")
        for r in rows:
            click.echo(
                f"{r['week_starting']:<12}{r['name'][:27]:<28}{r['evaluations']:>12}"
                f"{r['average_score']:>9.1f}%{r['auto_fails']:>12}"
            )
        if not rows:
            click.echo("(no evaluations)")
