"""Administration pages. IVR flows: what is serving, what was refused and why, and the drawing."""

from __future__ import annotations

import shutil
import subprocess
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from contactcenter.ivr.graph import to_dot, to_mermaid
from web import database

bp = Blueprint("admin", __name__, url_prefix="/admin")
DOT_TIMEOUT_S = 10


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in ("admin", "supervisor"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/flows")
@login_required
@staff_only
def flows() -> str:
    registry = database.runtime().flows
    served = [registry.get(name) for name in registry.names()]
    rejected = {path: problems for path, problems in registry.rejected().items()}
    return render_template("admin_flows.html", flows=served, rejected=rejected,
                           active=database.runtime().settings.ivr_flow, can_draw=shutil.which("dot") is not None)


def _flow(name: str):  # type: ignore[no-untyped-def]
    try:
        return database.runtime().flows.get(name)
    except KeyError:
        abort(404)


@bp.get("/flows/<name>.mmd")
@login_required
@staff_only
def flow_mermaid(name: str) -> Response:
    return Response(to_mermaid(_flow(name)), mimetype="text/plain")


@bp.get("/flows/<name>.svg")
@login_required
@staff_only
def flow_svg(name: str) -> Response:
    """The flow drawn by Graphviz; shown through <img>, so nothing in it can run as script."""
    dot = shutil.which("dot")
    if dot is None:
        abort(404, "Graphviz is not installed on this server")
    result = subprocess.run([dot, "-Tsvg"], input=to_dot(_flow(name)).encode(), capture_output=True,
                            timeout=DOT_TIMEOUT_S, check=False)
    if result.returncode != 0:
        abort(500, "the flow could not be drawn")
    resp = Response(result.stdout, mimetype="image/svg+xml")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return resp
