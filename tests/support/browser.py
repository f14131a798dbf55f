"""Steps the browser tests share, written as a person would do them."""

from __future__ import annotations

from typing import Any

from tests.support.factories import PASSWORD


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def open_desktop(page: Any, base: str, username: str = "alice", *, available: bool = True) -> None:
    """Log in, open the desktop, wait for its live connection and (by default) go available."""
    log_in(page, base, username)
    page.goto(base + "/desktop")
    page.wait_for_function("document.getElementById('connection').textContent === 'live'")
    if available:
        page.click("button[data-state=available]")
        page.wait_for_function("document.getElementById('state').dataset.state === 'available'")
