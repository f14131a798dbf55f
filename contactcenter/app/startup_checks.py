"""What a long-running process (`contactcenter web`, `worker`, `pacer`) checks before it starts.

A server that starts against a database it cannot use answers every request with an error, and a
worker retries the same failing step twice a second, each time with a traceback. Checked once at
start instead, the operator reads one line that names the problem and the variable to fix.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

SCHEMES = ("sqlite", "postgresql")


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def database_problem(url: str) -> str | None:
    """Why the store at `url` cannot serve this process, in one line; None when it can."""
    from contactcenter.db import make_engine
    from contactcenter.migrate import current_revision

    try:
        scheme = make_url(url).get_backend_name()
    except ArgumentError:
        return f"DATABASE_URL is not a database URL: {_shown(url)!r} (e.g. postgresql://user:pass@host/db)"
    if scheme not in SCHEMES:
        return (
            f"DATABASE_URL uses the unknown scheme {scheme!r}: use postgresql://user:pass@host/db, "
            "or sqlite:///path for one machine"
        )
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return f"DATABASE_URL {_shown(url)} cannot be used: {_first_line(exc)}"
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except DBAPIError as exc:
        return f"cannot reach the database at {_shown(url)}: {_first_line(exc)}"
    finally:
        engine.dispose()  # nothing opened here may outlive the check (gunicorn forks after it)
    if revision is None:
        return f"the database at {_shown(url)} has no schema yet: run `contactcenter db upgrade` first"
    return None


def redis_problem(url: str) -> str | None:
    """Why the Redis at `url` cannot be reached, in one line; None when it can (or is embedded)."""
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    except ValueError as exc:
        return f"REDIS_URL is not a Redis URL: {exc}"
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"cannot reach Redis at {url.split('@')[-1]}: {_first_line(exc)}"
    finally:
        client.close()
    return None


def stores_problem(database_url: str, redis_url: str) -> str | None:
    """The first reason the database or Redis cannot serve a server process, or None."""
    return database_problem(database_url) or redis_problem(redis_url)
