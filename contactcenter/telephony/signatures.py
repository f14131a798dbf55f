"""Webhook signatures, checked with Twilio's own `RequestValidator` (constant-time compare)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator


def called_url(scheme: str, host: str, path: str, raw_query: bytes | str, public_base_url: str = "") -> str:
    """The URL the carrier called, rebuilt from the request's parts without re-encoding its query.

    Twilio signs the URL exactly as it requested it: `?name=Ren%C3%A9e` is signed with its
    escapes. A framework's `request.url` decodes and re-quotes them (`René`, `~`, `/`), so the
    query must come raw from the WSGI environ (`QUERY_STRING`). `path` is the decoded path the
    server saw; our webhook paths are plain ASCII, so quoting it gives back what was called.
    Behind a proxy the scheme, host and any stripped path prefix come from `public_base_url`.
    """
    if isinstance(raw_query, bytes):
        # WSGI hands the query over as bytes (latin-1 in environ); a carrier only sends ASCII
        # here, anything else cannot match a signature and is refused by the check.
        raw_query = raw_query.decode("latin-1")
    quoted_path = quote(path, safe="/:@!$&'()*+,;=~-._")
    if public_base_url:
        base = urlsplit(public_base_url)
        scheme, host, quoted_path = base.scheme, base.netloc, base.path.rstrip("/") + quoted_path
    return urlunsplit((scheme, host, quoted_path, raw_query, ""))


class SignatureChecker:
    def __init__(self, auth_token: str) -> None:
        if not auth_token:
            raise ValueError("an auth token is needed to check webhook signatures")
        self._validator = RequestValidator(auth_token)

    def is_valid(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        if not signature or len(signature) > 256:
            return False
        params = dict(params)
        # The URL exactly as called first: one HMAC. Twilio's validator tries the URL with and
        # without the default port (two HMACs and two URL parses) — only needed when this fails.
        computed = self._validator.compute_signature(url, params).encode()
        if hmac.compare_digest(computed, signature.encode("utf-8", "replace")):
            return True
        return bool(self._validator.validate(url, params, signature))

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """What the carrier would send; the simulator signs its webhooks with this."""
        return self._validator.compute_signature(url, dict(params))
