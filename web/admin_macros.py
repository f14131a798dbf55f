"""Admin pages for ticket macros: list, create, edit, delete (admins only).

A macro is checked in full before anything is stored (`contactcenter.tickets.macros.validate`);
a form that does not validate comes back with a 400, each message next to its field and what
was typed still in it. Each change is written to the audit log with the change itself.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.tickets import macros
from contactcenter.tickets.models import TicketMacro
from web import database
from web.admin_content import admin_only
from web.audit import audit

bp = Blueprint("admin_macros", __name__, url_prefix="/admin")
# Beyond this a field is refused as a whole, before it is even looked at.
MAX_FIELD = macros.MAX_COMMENT + 1000


def _names(session: Session) -> dict[str, object]:
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))
    return {
        "queues": queues,
        "users": users,
        "queue_names": {q.id: q.display_name or q.name for q in queues},
        "user_names": {u.id: u.display_name or u.username for u in users},
        "statuses": macros.STATUSES,
        "priorities": macros.services.PRIORITIES,
    }


@bp.get("/macros")
@login_required
@admin_only
def macro_list() -> str:
    session = database.session()
    names = _names(session)
    found = macros.listed(session)
    notes = {m.id: macros.describe(m, names["user_names"], names["queue_names"]) for m in found}  # type: ignore[arg-type]
    return render_template("admin/macros.html", macros=found, notes=notes)


def _form() -> macros.MacroFields | None:
    """The typed fields, or None when one is far beyond any limit (refused outright)."""
    values = {
        k: request.form.get(k, "")
        for k in ("name", "status", "priority", "assignee", "queue_id", "add_tags", "comment")
    }
    if any(len(v) > MAX_FIELD for v in values.values()):
        return None
    return macros.MacroFields(**values, comment_public=request.form.get("comment_public") == "public")


def _form_page(
    session: Session, fields: macros.MacroFields, macro: TicketMacro | None, problems: dict[str, str], status: int
) -> tuple[str, int]:
    return render_template(
        "admin/macros_form.html",
        form=fields,
        macro=macro,
        problems=problems,
        max_comment=macros.MAX_COMMENT,
        **_names(session),
    ), status


def _too_long(session: Session, macro: TicketMacro | None) -> tuple[str, int]:
    fields = macros.MacroFields.of(macro) if macro is not None else macros.MacroFields()
    return _form_page(session, fields, macro, {"form": "a field is far too long; nothing was saved"}, 413)


@bp.get("/macros/new")
@login_required
@admin_only
def macro_new() -> tuple[str, int]:
    return _form_page(database.session(), macros.MacroFields(), None, {}, 200)


@bp.post("/macros/new")
@login_required
@admin_only
def macro_create() -> Response | tuple[str, int]:
    session = database.session()
    fields = _form()
    if fields is None:
        return _too_long(session, None)
    try:
        macro = macros.save(session, fields)
    except macros.MacroInvalid as exc:
        session.rollback()
        return _form_page(session, fields, None, exc.problems, 400)
    audit("macro.create", object_type="ticket_macro", object_id=macro.id, details={"name": macro.name})
    session.commit()
    flash(f"Macro “{macro.name}” created.", "ok")
    return redirect(url_for("admin_macros.macro_list"), code=303)


def _macro(session: Session, macro_id: int) -> TicketMacro:
    macro = macros.get(session, macro_id)
    if macro is None:
        abort(404)
    return macro


@bp.get("/macros/<int:macro_id>")
@login_required
@admin_only
def macro_edit(macro_id: int) -> tuple[str, int]:
    session = database.session()
    macro = _macro(session, macro_id)
    return _form_page(session, macros.MacroFields.of(macro), macro, {}, 200)


@bp.post("/macros/<int:macro_id>")
@login_required
@admin_only
def macro_update(macro_id: int) -> Response | tuple[str, int]:
    session = database.session()
    macro = _macro(session, macro_id)
    fields = _form()
    if fields is None:
        return _too_long(session, macro)
    try:
        macros.save(session, fields, macro)
    except macros.MacroInvalid as exc:
        session.rollback()
        return _form_page(session, fields, _macro(session, macro_id), exc.problems, 400)
    audit("macro.update", object_type="ticket_macro", object_id=macro.id, details={"name": macro.name})
    session.commit()
    flash(f"Macro “{macro.name}” saved.", "ok")
    return redirect(url_for("admin_macros.macro_list"), code=303)


@bp.post("/macros/<int:macro_id>/delete")
@login_required
@admin_only
def macro_delete(macro_id: int) -> Response:
    session = database.session()
    _macro(session, macro_id)
    name = macros.delete(session, macro_id)
    audit("macro.delete", object_type="ticket_macro", object_id=macro_id, details={"name": name})
    session.commit()
    flash(f"Macro “{name}” deleted.", "ok")
    return redirect(url_for("admin_macros.macro_list"), code=303)
