"""Logging in through Flask's test client, the way the login form posts (CSRF is off in tests)."""

from __future__ import annotations

from typing import Any

from tests.support.factories import PASSWORD


def log_in(client: Any, username: str) -> None:
    """Log `client` in as `username`; a refused login fails the test here, not in a later assert."""
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302, resp.data


def logged_in(app: Any, username: str) -> Any:
    """A test client of its own, logged in as `username`, for tests where several people act at once."""
    client = app.test_client()
    log_in(client, username)
    return client
