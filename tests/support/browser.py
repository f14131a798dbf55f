"""Steps the browser tests share, written as a person would do them.

Page steps drive Chromium; the "browserless" steps do what a person's browser does over HTTP and
Socket.IO without a page, for tests that need the real server's sockets but not its screens.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import socketio

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


def until(predicate: Callable[[], object], what: str, tries: int = 200) -> None:
    """Poll what happens outside the page (the carrier, the store) while the page moves on its own."""
    for _ in range(tries):
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def log_in_over_http(base: str, username: str) -> requests.Session:
    """The login form posted as a browser posts it (with its CSRF token); the session keeps the cookie."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    assert http.post(base + "/login", data=form, timeout=10, allow_redirects=False).status_code == 302
    return http


def open_socket(http: requests.Session, base: str, on_any: Callable[..., None] | None = None) -> socketio.Client:
    """The pages' socket, opened by the browser that logged in: the session is bound to its cookie
    and its user agent, so both go along. `on_any` hears every event from the first one."""
    sock = socketio.Client(reconnection=False)
    if on_any is not None:
        sock.on("*", on_any)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    sock.connect(
        base,
        headers={"Cookie": cookie, "User-Agent": http.headers["User-Agent"]},
        transports=["websocket"],
        wait_timeout=10,
    )
    return sock


SCREEN_SIZES = ((1400, 900), (1024, 768))


def screenshots(page, folder: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at each of SCREEN_SIZES, full length, into `folder` (to be looked at), then back
    at the first size."""
    folder.mkdir(parents=True, exist_ok=True)
    for width, height in SCREEN_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": SCREEN_SIZES[0][0], "height": SCREEN_SIZES[0][1]})
