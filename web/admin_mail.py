"""Mailboxes: the addresses customers write to, their queue, signature and IMAP source (admins).

The work is the domain's (`contactcenter.mail.mailboxes`), the same `contactcenter mail mailbox`
uses; IMAP passwords are never typed here — the form names the environment variable that holds one.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.acd.models import Queue
from contactcenter.mail import mailboxes
from contactcenter.mail.models import Mailbox
from web import database
from web.admin_content import admin_only
from web.audit import audit

bp = Blueprint("admin_mail", __name__, url_prefix="/admin/mailboxes")
FIELDS = (
    "address",
    "display_name",
    "queue",
    "signature",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_password_env",
    "imap_folder",
)
MAX_FIELD = mailboxes.MAX_SIGNATURE + 100


def _page(error: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    session = database.session()
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    names = {q.id: q.display_name or q.name for q in queues}
    return render_template(
        "admin/mailboxes.html",
        mailboxes=mailboxes.mailboxes(session),
        queues=queues,
        queue_names=names,
        error=error,
        form=form or {"imap_security": "ssl", "imap_folder": "INBOX"},
        securities=mailboxes.IMAP_SECURITY,
    ), status


@bp.get("")
@login_required
@admin_only
def mailbox_list() -> tuple[str, int]:
    return _page()


@bp.post("")
@login_required
@admin_only
def mailbox_add() -> Response | tuple[str, int]:
    form = {name: request.form.get(name, "") for name in FIELDS}
    if any(len(value) > MAX_FIELD for value in form.values()) or any("\x00" in v for v in form.values()):
        return _page("A field is far too long or holds a character that cannot be stored.", form, 400)
    session = database.session()
    imap = None
    try:
        if form["imap_host"].strip():
            port_text = form["imap_port"].strip() or ("993" if form["imap_security"] == "ssl" else "143")
            if not port_text.isdigit() or len(port_text) > 5:
                raise mailboxes.MailboxError("the IMAP port must be between 1 and 65535")
            imap = mailboxes.ImapSource(
                form["imap_host"].strip(),
                form["imap_username"].strip(),
                form["imap_password_env"].strip(),
                int(port_text),
                form["imap_security"],
                form["imap_folder"].strip() or "INBOX",
            )
        box = mailboxes.add_mailbox(
            session,
            form["address"],
            display_name=form["display_name"],
            queue=form["queue"] or None,
            signature=form["signature"],
            imap=imap,
        )
    except mailboxes.MailboxError as exc:
        session.rollback()
        return _page(str(exc), form, 400)
    audit("mailbox.add", object_type="mailbox", object_id=box.id, details={"address": box.address})
    session.commit()
    flash(f"Mailbox {box.address} added.", "ok")
    return redirect(url_for("admin_mail.mailbox_list"), code=303)


@bp.post("/<int:mailbox_id>/delete")
@login_required
@admin_only
def mailbox_delete(mailbox_id: int) -> Response:
    session = database.session()
    box = session.get(Mailbox, mailbox_id) if mailbox_id < 2**31 else None
    if box is None:
        abort(404)
    address = box.address
    mailboxes.remove_mailbox(session, address)
    audit("mailbox.remove", object_type="mailbox", object_id=mailbox_id, details={"address": address})
    session.commit()
    flash(f"Mailbox {address} removed; its mail already on tickets stays.", "ok")
    return redirect(url_for("admin_mail.mailbox_list"), code=303)
