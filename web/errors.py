"""Outages answer 503, once for the whole app: the store (PostgreSQL or SQLite) or Redis unreachable.

A view that cannot reach the store or Redis has nothing wrong with it and nothing to fix: the
person or the integration should simply try again shortly. So a connection-level failure becomes
503 with Retry-After — a short page for a browser, the API's error shape
`{"error": {"code": "unavailable", "message": …}}` for everything else — instead of a 500 and a
traceback. Errors that are not about reaching a server (a missing table, a bad query) stay 500s.

The carrier's webhooks (web.hooks, web.dialer_hooks) keep their own handlers: a caller on the
line hears a fallback, not an error page.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import exc as sa_exc
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
SQLITE_OUTAGE_ERRORS = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED",
                        "SQLITE_READONLY")
STORE_ERRORS = (sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


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
    if hasattr(orig, "sqlstate"):  # psycopg: no SQLSTATE at all means no server answered
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
    log.warning("%s %s answered 503: %s (%s)", request.method, request.path,
                "Redis unreachable" if message == REDIS_MESSAGE else "store unreachable", _cause(exc))
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
    """Register the outage handlers for every view (blueprints with their own handlers keep them)."""
    for error in (*STORE_ERRORS, *REDIS_ERRORS):
        app.register_error_handler(error, _handle)
