"""Publishing an IVR flow from the admin page: validate first, then write the file the registry serves.

A flow that does not validate is refused with every problem and nothing is written, so the
version answering calls never changes for a bad upload. A valid one is written atomically (a
temporary file renamed over the old one) over the file that flow was served from, or as
`<flow name>.yaml` in the flows folder for a new flow, and loaded;
calls already in the flow keep the version they started with (their sessions carry it).
Other web processes pick the file up on their next reload (restart, or `reload_flows`).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from contactcenter.ivr.flow import parse_flow
from contactcenter.ivr.flow_rules import FlowError, FlowProblem
from contactcenter.ivr.validation import FlowRegistry, ensure_valid

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Published:
    name: str
    version: int
    path: str
    warnings: tuple[FlowProblem, ...]


def publish_flow(
    registry: FlowRegistry, folder: str | os.PathLike[str], text: str, known_queues: set[str] | None
) -> Published:
    """Validate `text` and serve it; raises FlowError (nothing written) when it is not valid."""
    flow = parse_flow(text)
    valid = ensure_valid(flow, known_queues)
    if not FILE_NAME.match(flow.name):
        raise FlowError(
            [
                FlowProblem(
                    None,
                    "flow name must be 1-100 characters of letters, digits, '.', '_' "
                    "or '-' to be published (it names the file)",
                )
            ]
        )
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    served_from = registry.path_of(flow.name)
    path = Path(served_from) if served_from and Path(served_from).parent == target else target / f"{flow.name}.yaml"
    fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{flow.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    result = registry.load(path)
    if not result.accepted:  # the queues changed between the check and the load
        raise FlowError(result.problems)
    return Published(flow.name, flow.version, str(path), valid.warnings)
