"""One SQLAlchemy session per request, from the process runtime."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from contactcenter.app.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["contactcenter.app.runtime"]


def session() -> Session:
    if "db_session" not in g:
        g.db_session = runtime().session_factory()
    return g.db_session


def discard_session() -> None:
    """The request's session may hold a dead connection (an outage): roll back what can be, quietly."""
    db_session = g.pop("db_session", None)
    if db_session is not None:
        try:
            db_session.rollback()
            db_session.close()
        except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
            db_session.invalidate()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.rollback()  # anything not committed by the view is discarded
            db_session.close()
