"""The customer help center at /help: knowledge base, send a request, and "my requests" behind
a mailed link. No staff login: a customer's portal session holds only the address a link proved.

Every form refuses bad input with the reason and the input kept; the request form is guarded
against spam by a hidden field people never fill, a signed start time (a form sent within a few
seconds of being shown is a robot's) and a per-address limit in Redis.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import login_required
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from contactcenter import clock, phones
from contactcenter.acd.models import Queue
from contactcenter.app.tasks.calls import schedule_callback_release
from contactcenter.mail.models import Mailbox
from contactcenter.portal import callbacks, links, requests
from contactcenter.portal.uploads import MAX_UPLOAD_BYTES, Upload, UploadError, checked_upload
from contactcenter.scripts import faq
from contactcenter.scripts.models import FaqArticle
from web import database
from web.ratelimit import Limit, client_address, too_many

bp = Blueprint("portal", __name__, url_prefix="/help")
log = logging.getLogger("contactcenter.portal")

SESSION_KEY = "portal_email"
SESSION_LIFETIME = timedelta(hours=2)
MIN_FILL_S = 3  # a form sent faster than this after it was shown was not typed by a person
MAX_FORM_AGE_S = 6 * 3600
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 256 * 1024
REQUESTS_PER_ADDRESS = Limit("portal-requests", 5, 600)
LINKS_PER_ADDRESS = Limit("portal-links", 5, 600)
MAX_QUERY = 200


def _signer() -> TimestampSigner:
    return TimestampSigner(database.runtime().settings.secret_key, salt="portal-form")


def _limited(limit: Limit, what: str) -> Response | None:
    limiter = current_app.extensions.get("contactcenter.ratelimit")
    if limiter is None:
        return None
    verdict = limiter.hit(limit, client_address())
    if verdict.allowed:
        return None
    log.warning("portal: too many %s from one address", what)
    return too_many(verdict, what)


def _upload(field: str) -> Upload | None:
    file: FileStorage | None = request.files.get(field)
    if file is None or not file.filename:
        return None
    data = file.read(MAX_UPLOAD_BYTES + 1)
    return checked_upload(file.filename, data)


def _portal_email() -> str | None:
    return session.get(SESSION_KEY) if isinstance(session.get(SESSION_KEY), str) else None


def _base_url() -> str:
    return database.runtime().settings.public_base_url or request.host_url.rstrip("/")


def _default_queue() -> int | None:
    return database.session().scalar(select(Mailbox.queue_id).order_by(Mailbox.id).limit(1))


# ---------------------------------------------------------------- knowledge base
@bp.get("")
def home() -> tuple[str, int]:
    db = database.session()
    query = request.args.get("q", "").strip()[: MAX_QUERY + 1]
    error = ""
    available = faq.languages(db)
    language = request.args.get("lang", "")[:16]
    if language not in available:
        # The visitor's browser language where we have articles in it, else the most written one.
        language = request.accept_languages.best_match(available) or (available[0] if available else "en")
    hits: list[faq.FaqHit] = []
    if len(query) > MAX_QUERY:
        error, query = f"a search holds at most {MAX_QUERY} characters", query[:MAX_QUERY]
    elif query:
        try:
            hits = faq.search(db, query, limit=20, language=language)
        except faq.SearchError as exc:
            error = str(exc)
    latest = list(
        db.scalars(
            select(FaqArticle)
            .where(FaqArticle.published.is_(True), FaqArticle.language == language)
            .order_by(FaqArticle.id.desc())
            .limit(12)
        )
    )
    page = render_template(
        "portal/home.html",
        query=query,
        hits=hits,
        latest=latest,
        error=error,
        language=language,
        languages=available,
    )
    return page, (400 if error else 200)


@bp.get("/articles/<int:article_id>")
def article(article_id: int) -> str:
    found = database.session().get(FaqArticle, article_id) if article_id < 2**31 else None
    if found is None or not found.published:
        abort(404)
    return render_template("portal/article.html", article=found)


# ---------------------------------------------------------------- send a request
def _contact_form(values: dict[str, str], error: str = "", status: int = 200) -> tuple[str, int]:
    return render_template(
        "portal/contact.html",
        values=values,
        error=error,
        started=_signer().sign(b"contact").decode(),
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


@bp.get("/contact")
def contact() -> tuple[str, int]:
    email = _portal_email() or ""
    return _contact_form({"email": email})


def _looks_automated() -> str | None:
    if request.form.get("website", ""):
        return "honeypot filled"
    try:
        _, signed_at = _signer().unsign(
            request.form.get("started", "")[:200], max_age=MAX_FORM_AGE_S, return_timestamp=True
        )
    except SignatureExpired:
        return "form too old"
    except BadSignature:
        return "form start missing"
    if (clock.now() - signed_at).total_seconds() < MIN_FILL_S:
        return "sent too fast"
    return None


@bp.post("/contact")
def contact_send() -> tuple[str, int] | Response:
    request.max_content_length = MAX_BODY_BYTES
    values = {k: request.form.get(k, "")[:20_000] for k in ("name", "email", "subject", "message")}
    limited = _limited(REQUESTS_PER_ADDRESS, "requests")
    if limited is not None:
        return limited
    robot = _looks_automated()
    if robot is not None:
        log.warning("portal: request refused as automated (%s)", robot)
        return _contact_form(values, "Please wait a moment and send the form again.", 400)
    db = database.session()
    try:
        upload = _upload("attachment")
        ticket = requests.submit(db, **values, upload=upload, queue_id=_default_queue())
    except (requests.RequestError, UploadError) as exc:
        db.rollback()
        return _contact_form(values, str(exc), 400)
    db.commit()
    log.info("portal request received", extra={"ticket_id": ticket.id})
    return render_template("portal/contact_done.html", ticket=ticket, email=values["email"].strip().lower()), 201


# ---------------------------------------------------------------- call me back
CALLBACKS_PER_ADDRESS = Limit("portal-callbacks", 3, 600)


def _callback_queue():  # type: ignore[no-untyped-def]
    queue_id = _default_queue()
    return database.session().get(Queue, queue_id) if queue_id is not None else None


def _callback_form(queue, values: dict[str, str], error: str = "", status: int = 200) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    slots = callbacks.open_slots(queue) if queue is not None else []
    days: dict[str, list[callbacks.Slot]] = {}
    for slot in slots:
        days.setdefault(slot.day, []).append(slot)
    return render_template(
        "portal/callback.html",
        queue=queue,
        zone=callbacks.calendar_of(queue).time_zone if queue is not None else "UTC",
        days=days,
        values=values,
        error=error,
        started=_signer().sign(b"contact").decode(),
    ), status


@bp.get("/callback")
def callback() -> tuple[str, int]:
    return _callback_form(_callback_queue(), {})


@bp.post("/callback")
def callback_send() -> tuple[str, int] | Response:
    values = {k: request.form.get(k, "")[:200] for k in ("name", "phone", "slot")}
    queue = _callback_queue()
    if queue is None:
        return _callback_form(None, values, "Call-backs are not offered here.", 400)
    limited = _limited(CALLBACKS_PER_ADDRESS, "call-back requests")
    if limited is not None:
        return limited
    robot = _looks_automated()
    if robot is not None:
        log.warning("portal: call-back refused as automated (%s)", robot)
        return _callback_form(queue, values, "Please wait a moment and send the form again.", 400)
    db = database.session()
    try:
        booked = callbacks.request_callback(
            db,
            queue,
            name=values["name"],
            phone=values["phone"],
            slot=values["slot"],
            schedule=schedule_callback_release,
            default_region=database.runtime().settings.default_region,
        )
    except (requests.RequestError, callbacks.CallbackRefused) as exc:
        db.rollback()
        return _callback_form(queue, values, str(exc), 400)
    db.commit()
    log.info("portal call-back booked", extra={"callback_id": booked.id})
    chosen = next(
        (s for s in callbacks.open_slots(queue, booked.place_at - callbacks.LEAD) if s.at == booked.place_at), None
    )
    return render_template("portal/callback_done.html", slot=chosen, phone=phones.display(booked.phone)), 201


# ---------------------------------------------------------------- my requests
@bp.get("/my-requests")
def my_requests() -> tuple[str, int] | Response:
    email = _portal_email()
    if email is None:
        return render_template("portal/sign_in.html", values={}, error="", sent=False), 200
    db = database.session()
    return render_template("portal/my_requests.html", email=email, tickets=requests.tickets_of(db, email)), 200


@bp.post("/my-requests")
def ask_for_link() -> tuple[str, int] | Response:
    raw = request.form.get("email", "")[:300]
    limited = _limited(LINKS_PER_ADDRESS, "sign-in links")
    if limited is not None:
        return limited
    db = database.session()
    try:
        email = requests.normal_email(raw)
    except requests.RequestError as exc:
        return render_template("portal/sign_in.html", values={"email": raw}, error=str(exc), sent=False), 400
    links.request_link(db, email, base_url=_base_url())
    db.commit()
    # The same answer whether or not we know the address.
    return render_template("portal/sign_in.html", values={"email": email}, error="", sent=True), 200


@bp.get("/link/<token>")
def link(token: str) -> tuple[str, int]:
    try:
        email = links.check(database.session(), token)
    except links.PortalLinkError as exc:
        return render_template("portal/link.html", token=None, email=None, error=str(exc)), 404
    return render_template("portal/link.html", token=token, email=email, error=""), 200


@bp.post("/link/<token>")
def use_link(token: str) -> tuple[str, int] | Response:
    db = database.session()
    try:
        email = links.use(db, token)
    except links.PortalLinkError as exc:
        return render_template("portal/link.html", token=None, email=None, error=str(exc)), 404
    db.commit()
    session.clear()
    session[SESSION_KEY] = email
    session.permanent = True
    return redirect(url_for("portal.my_requests"))


@bp.post("/sign-out")
def sign_out() -> Response:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("portal.home"))


def _own_ticket(ticket_id: int):  # type: ignore[no-untyped-def]
    email = _portal_email()
    if email is None:
        abort(redirect(url_for("portal.my_requests")))
    ticket = requests.ticket_of(database.session(), email, ticket_id) if ticket_id < 2**31 else None
    if ticket is None:
        abort(404)
    return email, ticket


def _request_page(ticket, error: str = "", values: dict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "portal/request.html",
        ticket=ticket,
        entries=requests.public_entries(database.session(), ticket),
        error=error,
        values=values or {},
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


@bp.get("/requests/<int:ticket_id>")
def request_page(ticket_id: int) -> tuple[str, int]:
    _, ticket = _own_ticket(ticket_id)
    return _request_page(ticket)


@bp.post("/requests/<int:ticket_id>/reply")
def request_reply(ticket_id: int) -> tuple[str, int] | Response:
    request.max_content_length = MAX_BODY_BYTES
    _, ticket = _own_ticket(ticket_id)
    message = request.form.get("message", "")[:20_000]
    db = database.session()
    try:
        requests.reply(db, ticket, message, _upload("attachment"))
    except (requests.RequestError, UploadError) as exc:
        db.rollback()
        return _request_page(db.get(type(ticket), ticket_id), str(exc), {"message": message}, 400)
    db.commit()
    return redirect(url_for("portal.request_page", ticket_id=ticket_id) + "#latest")


@bp.get("/requests/<int:ticket_id>/files/<int:upload_id>")
def request_file(ticket_id: int, upload_id: int) -> Response:
    _, ticket = _own_ticket(ticket_id)
    found = requests.upload_of(database.session(), ticket.id, upload_id) if upload_id < 2**31 else None
    if found is None:
        abort(404)
    return download(found)


def download(found) -> Response:  # type: ignore[no-untyped-def]
    """A stored upload, always as a download and never rendered by the browser."""
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename.replace(chr(34), "")}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# ---------------------------------------------------------------- staff: files on the ticket page
staff_bp = Blueprint("portal_files", __name__)


@staff_bp.get("/tickets/<int:ticket_id>/uploads/<int:upload_id>")
@login_required
def staff_file(ticket_id: int, upload_id: int) -> Response:
    """A file a customer attached on the portal, to people who may see its ticket."""
    from web.ticket_pages import _visible

    ticket = _visible(database.session(), ticket_id)
    found = requests.upload_of(database.session(), ticket.id, upload_id) if upload_id < 2**31 else None
    if found is None:
        abort(404)
    return download(found)
