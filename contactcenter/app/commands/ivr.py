"""`contactcenter ivr ...`: check and draw flow files before they are deployed.

`validate` runs the same checks the running IVR applies when it (re)loads a flow, so a file
that passes here will not be refused in production (given the same queue names). Exit status:
0 valid (warnings allowed), 1 invalid, 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from contactcenter.ivr.flow import Flow, load_flow
from contactcenter.ivr.flow_rules import FlowError, FlowProblem
from contactcenter.ivr.graph import to_dot, to_mermaid
from contactcenter.ivr.validation import validate

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.group(name="ivr")
def ivr() -> None:
    """IVR flow tools."""


def _parse_queues(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


@ivr.command("validate")
@click.argument("file", type=_FILE)
@click.option(
    "--queues", metavar="A,B,C", help="Comma-separated queue names that exist; without it queue names are not checked."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of text.")
def validate_command(file: Path, queues: str | None, as_json: bool) -> None:
    """Check FILE; print one line per problem and exit 1 if any is an error."""
    flow: Flow | None = None
    try:
        flow = load_flow(file)
        problems = validate(flow, _parse_queues(queues))
    except FlowError as exc:
        problems = list(exc.problems)
    valid = flow is not None and not any(p.is_error for p in problems)
    if as_json:
        click.echo(json.dumps(_report(file, flow, valid, problems), indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            click.echo(str(problem))
        if valid and flow is not None:
            click.echo(f"OK: {flow.name} v{flow.version}: {len(flow.nodes)} nodes")
    if not valid:
        raise SystemExit(1)


def _report(file: Path, flow: Flow | None, valid: bool, problems: list[FlowProblem]) -> dict[str, object]:
    return {
        "file": str(file),
        "flow": flow.name if flow else None,
        "version": flow.version if flow else None,
        "nodes": len(flow.nodes) if flow else None,
        "valid": valid,
        "problems": [p.to_dict() for p in problems],
    }


@ivr.command("graph")
@click.argument("file", type=_FILE)
@click.option("--dot", "as_dot", is_flag=True, help="Graphviz DOT instead of Mermaid.")
def graph_command(file: Path, as_dot: bool) -> None:
    """Print FILE as a Mermaid flowchart (or DOT). Flows with validation errors are still drawn."""
    try:
        flow = load_flow(file)
    except FlowError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    click.echo(to_dot(flow) if as_dot else to_mermaid(flow), nl=False)
