"""Administration pages. IVR flows: what is serving, what was refused and why, the drawing, and
publishing a new version (admins; validated before anything is written).

Flows are drawn in the browser by Mermaid (vendored under static/vendor, see
tools/vendor_static.sh) from `contactcenter.ivr.graph.to_mermaid`, the same text `contactcenter ivr
graph` prints, so the page needs no system package on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from contactcenter.ivr.flow_rules import MAX_FLOW_BYTES, FlowError
from contactcenter.ivr.graph import to_mermaid
from contactcenter.ivr.publish import publish_flow
from web import database
from web.audit import audit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _load_flows_first() -> None:
    """Load the flow registry (once per process) before the request opens its own session.

    The first load reads the queue names through a session of its own; on SQLite every
    transaction holds the write lock, so doing that after the login check has begun the
    request's transaction would wait for it until the busy timeout.
    """
    _ = database.runtime().flows  # the property loads it


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in ("admin", "supervisor"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _flows_page(problems: Any = (), text: str = "", status: int = 200) -> tuple[str, int]:
    registry = database.runtime().flows
    served = [registry.get(name) for name in registry.names()]
    rejected = {path: problems for path, problems in registry.rejected().items()}
    return render_template(
        "admin_flows.html",
        flows=served,
        rejected=rejected,
        active=database.runtime().settings.ivr_flow,
        drawings={flow.name: to_mermaid(flow) for flow in served},
        publish_problems=problems,
        publish_text=text,
    ), status


@bp.get("/flows")
@login_required
@staff_only
def flows() -> tuple[str, int]:
    return _flows_page()


@bp.post("/flows")
@login_required
def publish() -> BaseResponse | tuple[str, int]:
    """Publish a flow from YAML text (pasted or uploaded); a flow with errors is shown back, unserved."""
    if current_user.role != "admin":
        abort(403)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_FLOW_BYTES + 1)
        if len(raw) > MAX_FLOW_BYTES:
            return _flows_page([f"the file is larger than {MAX_FLOW_BYTES} bytes"], "", 413)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _flows_page(["the file is not UTF-8 text"], "", 400)
    else:
        text = request.form.get("yaml", "")
    if not text.strip():
        return _flows_page(["paste the flow's YAML or choose a file"], text, 400)
    rt = database.runtime()
    session = database.session()
    known_queues = rt.queue_names(session)
    # Loading the written file checks the queues again through a session of its own; end this
    # request's transaction first (it only read), or on SQLite the two wait on each other's lock.
    session.rollback()
    try:
        published = publish_flow(rt.flows, rt.settings.ivr_flows_dir, text, known_queues)
    except FlowError as exc:
        return _flows_page([str(p) for p in exc.problems], text, 400)
    except OSError as exc:
        return _flows_page([f"the flow could not be saved: {exc.strerror or exc}"], text, 500)
    audit("flow.publish", object_type="flow", object_id=published.name, details={"version": published.version})
    database.session().commit()
    flash(f"Flow {published.name} version {published.version} is published.", "info")
    return redirect(url_for("admin.flows"), code=303)


@bp.get("/flows/<name>.yaml")
@login_required
@staff_only
def flow_source(name: str) -> Response:
    """The served version as YAML, to edit and publish again."""
    import yaml

    flow = _flow(name)
    return Response(yaml.safe_dump(dict(flow.raw), sort_keys=False, allow_unicode=True), mimetype="text/plain")


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
