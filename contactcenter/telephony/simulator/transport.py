"""How the simulated carrier's webhooks reach the app: in process (WSGI) or over real HTTP.

A transport never raises for an unreachable or failing app; it answers (status, body) and the
carrier decides, as Twilio does, what a failure means for the call. Status 0 means no HTTP
response at all (connection refused, timeout).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from werkzeug.test import Client

CONNECT_TIMEOUT_S = 10.0  # Twilio gives up connecting after 10 s ...
READ_TIMEOUT_S = 15.0  # ... and waits at most 15 s for the response


class WebhookTransport(Protocol):
    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]: ...

    def get(self, url: str, headers: Mapping[str, str]) -> tuple[int, str]: ...


class WsgiTransport:
    """Calls a Flask/WSGI app in process, as if over HTTP to the URL's host.

    The app sees the scheme, Host and raw query string of the webhook URL, so the URL it rebuilds
    is exactly the URL the carrier signed, just as behind a correctly configured proxy.
    """

    def __init__(self, app: Any, *, raise_app_errors: bool = False) -> None:
        self._client = Client(app, use_cookies=False)
        self._raise = raise_app_errors

    def _open(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None) -> tuple[int, str]:
        parts = urlsplit(url)
        base_url = f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}"
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        try:
            response = self._client.open(path, method=method, base_url=base_url, data=data, headers=dict(headers))
        except Exception:
            # An app in testing mode propagates its exceptions; to the carrier that is a 500,
            # and the traceback goes into the call's transcript.
            if self._raise:
                raise
            return 500, traceback.format_exc(limit=8)
        try:
            return response.status_code, response.get_data(as_text=True)
        finally:
            response.close()

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        # Encoded here once: cheaper than letting the test client build a form from a dict.
        return self._open("POST", url, headers, urlencode(params).encode("ascii"))

    def get(self, url: str, headers: Mapping[str, str]) -> tuple[int, str]:
        return self._open("GET", url, headers, None)


class HttpTransport:
    """Real HTTP with Twilio's timeouts, for the demo and multi-process benchmarks."""

    def __init__(self, connect_timeout_s: float = CONNECT_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S) -> None:
        self._session = requests.Session()
        self._timeout = (connect_timeout_s, read_timeout_s)

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], data: Mapping[str, str] | None
    ) -> tuple[int, str]:
        try:
            response = self._session.request(
                method, url, data=data, headers=dict(headers), timeout=self._timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        return response.status_code, response.text

    def post(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        return self._send("POST", url, headers, dict(params))

    def get(self, url: str, headers: Mapping[str, str]) -> tuple[int, str]:
        return self._send("GET", url, headers, None)

    def close(self) -> None:
        self._session.close()
