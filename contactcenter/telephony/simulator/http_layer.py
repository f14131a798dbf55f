"""An HTTP layer for `twilio.rest.Client` that talks to the simulator instead of api.twilio.com.

Only the transport changes: the library builds the same requests, parses the same JSON and
raises the same exceptions, so `TwilioTelephony(sid, token, http_client=SimulatorHttpClient(...))`
exercises the production code path end to end.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from twilio.http import HttpClient
from twilio.http.response import Response
from werkzeug.test import Client

log = logging.getLogger("contactcenter.telephony.simulator.http")


class SimulatorHttpClient(HttpClient):
    """Send Twilio API requests to a simulator REST app: a WSGI app (in process) or a base URL."""

    def __init__(self, target: Any, *, timeout: float | None = 15.0) -> None:
        super().__init__(log, False, timeout)
        if isinstance(target, str):
            self._base: str | None = target.rstrip("/")
            self._session: requests.Session | None = requests.Session()
            self._client: Client | None = None
        else:
            self._base, self._session = None, None
            self._client = Client(target, use_cookies=False)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        parts = urlsplit(url)
        # Keep %-escapes the library made, escape what it left raw (e.g. spaces in a friendly name).
        path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
        query = parts.query
        if params:
            extra = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            query = f"{query}&{extra}" if query and extra else (query or extra)
        send_headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            send_headers["Authorization"] = f"Basic {token}"
        body = urlencode({k: v for k, v in (data or {}).items() if v is not None}, doseq=True) if data else None
        if body is not None:
            send_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        target = f"{path}?{query}" if query else path
        if self._client is not None:
            result = self._client.open(target, method=method.upper(), data=body, headers=send_headers)
            try:
                response = Response(result.status_code, result.get_data(as_text=True), dict(result.headers))
            finally:
                result.close()
        else:
            assert self._session is not None and self._base is not None
            reply = self._session.request(
                method.upper(),
                self._base + target,
                data=body,
                headers=send_headers,
                timeout=timeout or self.timeout,
                allow_redirects=allow_redirects,
            )
            response = Response(reply.status_code, reply.text, reply.headers)
        self._test_only_last_response = response
        return response

    def fetch_bytes(self, path: str, auth: tuple[str, str]) -> tuple[int, bytes]:
        """GET a binary resource (a recording's audio) from the simulator: status and body."""
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {token}"}
        if self._client is not None:
            result = self._client.get(path, headers=headers)
            try:
                return result.status_code, result.get_data()
            finally:
                result.close()
        assert self._session is not None and self._base is not None
        reply = self._session.get(self._base + path, headers=headers, timeout=self.timeout)
        return reply.status_code, reply.content
