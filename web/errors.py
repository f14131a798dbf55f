"""How the app answers an error no view handled: a domain's refusal, or an outage.

A domain refusal (`contactcenter.errors.DomainError`) carries a `kind`; `STATUS_BY_KIND` is the one
place a kind becomes an HTTP status, so views need not catch domain errors only to pick a status.
The answer is the API's error shape `{"error": {"code": …, "message": …}}`, or for a browser
navigating to a page the usual error page of that status.

Outages answer 503, once for the whole app: the store (PostgreSQL or SQLite) or Redis unreachable.

A view that cannot reach the store or Redis has nothing wrong with it and nothing to fix: the
person or the integration should simply try again shortly. So a connection-level failure becomes
503 with Retry-After — a short page for a browser, the API's error shape
`{"error": {"code": "unavailable", "message": …}}` for everything else — instead of a 500 and a
traceback. Errors that are not about reaching a server (a missing table, a bad query) stay 500s.

The carrier's webhooks (web.hooks, web.dialer_hooks) keep their own handlers: a caller on the
line hears a fallback, not an error page; a domain error escaping one stays the 500 it always was.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import default_exceptions
from werkzeug.wrappers import Response as BaseResponse

from contactcenter.errors import DomainError, Kind
from web import database

log = logging.getLogger("contactcenter.web.outage")

RETRY_AFTER_S = 60
STORE_MESSAGE = "The store is unreachable; try again in a minute."
REDIS_MESSAGE = "The live call service is unreachable; try again in a minute."

# Connection-level errors of the drivers, told apart from errors in a statement.
# PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many
# connections), 57P0x the server shutting down or starting up.
PG_OUTAGE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite: the file cannot be opened or read, the disk is full or gone, another writer holds it.
SQLITE_OUTAGE_ERRORS = (
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_READONLY",
)
STORE_ERRORS = (sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# The one mapping from what a domain says went wrong to the status a client gets.
STATUS_BY_KIND: dict[Kind, int] = {
    "invalid": 400,  # the request is malformed or names something unusable
    "unprocessable": 422,  # well-formed, but the values cannot be accepted
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,  # the state of things refuses it now
    "dependency_failed": 502,  # the carrier (or another service we call) refused or failed
    "unavailable": 503,
}
# Blueprints that answer the carrier: their callers hear a fallback, never an error document.
WEBHOOK_BLUEPRINTS = frozenset({"hooks", "dialer_hooks"})


def status_for(exc: DomainError) -> int:
    """The HTTP status for a domain error (also used by the Socket.IO acks, which have no handler)."""
    return STATUS_BY_KIND[exc.kind]


def error_body(exc: DomainError) -> dict[str, dict[str, str]]:
    """The error shape every JSON client already reads."""
    return {"error": {"code": exc.code, "message": str(exc)}}


def domain_error(exc: DomainError) -> BaseResponse:
    """A refusal no view handled: its mapped status, as JSON for clients and a page for browsers."""
    if request.blueprint in WEBHOOK_BLUEPRINTS:
        raise exc  # the carrier's handlers decide; unhandled, it is the usual 500
    status = status_for(exc)
    if _wants_html():
        page = default_exceptions[status](description=str(exc))
        return page.get_response()
    response = jsonify(error_body(exc))
    response.status_code = status
    return response


def is_store_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached (rather than that a statement failed)."""
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):  # pool: dead or exhausted
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:  # the dialect recognised a lost connection
        return True
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    orig = exc.orig
    sqlite_error = getattr(orig, "sqlite_errorname", None)
    if sqlite_error is not None:
        return str(sqlite_error).startswith(SQLITE_OUTAGE_ERRORS)
    if orig is not None and hasattr(orig, "sqlstate"):  # psycopg: no SQLSTATE at all means no server answered
        sqlstate = orig.sqlstate
        return sqlstate is None or str(sqlstate).startswith(PG_OUTAGE_SQLSTATES)
    return isinstance(exc, sa_exc.InterfaceError)


def outage_message(exc: BaseException) -> str | None:
    """What to tell the client when `exc` is an outage; None when it is not one."""
    if isinstance(exc, REDIS_ERRORS):
        return REDIS_MESSAGE
    if is_store_outage(exc):
        return STORE_MESSAGE
    return None


def unavailable(exc: BaseException) -> Response | None:
    """The 503 answer for an outage (after releasing the request's session), or None."""
    message = outage_message(exc)
    if message is None:
        return None
    database.discard_session()
    # The exception's own text is left out on purpose: SQLAlchemy's carries the statement's parameters.
    log.warning(
        "%s %s answered 503: %s (%s)",
        request.method,
        request.path,
        "Redis unreachable" if message == REDIS_MESSAGE else "store unreachable",
        _cause(exc),
    )
    if _wants_html():
        response = Response(_page(message), status=503, mimetype="text/html")
    else:
        response = jsonify(error={"code": "unavailable", "message": message})
        response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(message: str) -> str:
    """The page, rendered without the context processors: Flask-Login's would load the current
    user from the store that is unreachable."""
    return current_app.jinja_env.get_template("unavailable.html").render(message=message)


def _cause(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return type(orig).__name__ if orig is not None else type(exc).__name__


def _wants_html() -> bool:
    """A browser navigating names text/html in Accept; fetch() (`*/*`), the API and scripts get JSON."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    return any(mimetype in ("text/html", "application/xhtml+xml") for mimetype, _q in request.accept_mimetypes)


def _handle(exc: Exception) -> Response:
    response = unavailable(exc)
    if response is None:
        raise exc  # not an outage: the usual 500 (or, with PROPAGATE_EXCEPTIONS, the exception itself)
    return response


def init_app(app: Flask) -> None:
    """Register the domain-error and outage handlers for every view (blueprints with their own
    handlers keep them)."""
    app.register_error_handler(DomainError, domain_error)
    for error in (*STORE_ERRORS, *REDIS_ERRORS):
        app.register_error_handler(error, _handle)
