"""What every API view shares: bearer-token auth, JSON errors, body and query parsing, cursors.

Errors are always `{"error": {"code": ..., "message": ...}}` with a 4xx status:
400 malformed_json / invalid_filter / invalid_cursor / invalid_query, 401 unauthorized,
403 forbidden / read_only_token, 404 not_found, 405 method_not_allowed, 409 invalid_transition,
413 payload_too_large, 415 unsupported_media_type, 422 validation_failed.
`fail` is for what the API itself finds wrong with a request; a domain's refusal
(`contactcenter.errors.DomainError`) is answered in the same shape by `web.errors`, which maps its
kind to the status.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from flask import Response, current_app, g, jsonify, request

from contactcenter.accounts.models import User
from contactcenter.tickets import api_tokens
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import ApiToken
from web import database

log = logging.getLogger("contactcenter.api")
MAX_BODY = 256 * 1024
MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def fail(status: int, code: str, message: str) -> NoReturn:
    raise ApiError(status, code, message)


def not_found(what: str, ident: Any) -> NoReturn:
    fail(404, "not_found", f"{what} {ident} does not exist")


# -- who is asking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    user: User
    token: ApiToken | None  # None: an admin signed in to the web pages (see SESSION_ENDPOINTS)
    viewer: Viewer


# Endpoints an admin may also call from the web pages with the sign-in cookie instead of a token,
# so that a fresh install gets its first token without Python. Cookie-authenticated requests
# that change something must carry the CSRF token (X-CSRFToken header or csrf_token field).
SESSION_ENDPOINTS = frozenset({"api.accounts_list_tokens", "api.accounts_create_token", "api.accounts_revoke_token"})


def _session_principal() -> Response | None:
    from flask_login import current_user
    from flask_wtf.csrf import CSRFError

    from web.extensions import csrf

    if not current_user.is_authenticated:
        return error_response(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    if current_user.role != "admin":
        return error_response(
            403, "forbidden", "only admins manage API tokens from the web pages; others send an API token"
        )
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()
        except CSRFError as exc:
            return error_response(400, "csrf_failed", f"{exc.description} (send it as the X-CSRFToken header)")
    user = database.session().get(User, current_user.id)
    if user is None:
        return error_response(401, "unauthorized", "sign in again")
    g.api_principal = Principal(user, None, Viewer.of(user))
    return None


def authenticate_request() -> Response | None:
    """Before every API view but the public document: a valid bearer token or 401 (or, for the
    token endpoints only, an admin's sign-in cookie)."""
    request.max_content_length = MAX_BODY
    header = request.headers.get("Authorization", "")
    if not header and request.endpoint in SESSION_ENDPOINTS:
        return _session_principal()
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return error_response(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    session = database.session()
    found = api_tokens.authenticate(session, secret.strip())
    if found is None:
        return error_response(401, "unauthorized", "the API token is unknown, revoked or expired")
    token, user = found
    if api_tokens.touch(token):
        session.commit()
    g.api_principal = Principal(user, token, Viewer.of(user, read_only=token.read_only))
    return None


def principal() -> Principal:
    return g.api_principal


def viewer() -> Viewer:
    return principal().viewer


def require_write() -> None:
    if viewer().read_only:
        fail(403, "read_only_token", "this API token may only read")


def require_supervisor() -> None:
    if not viewer().sees_all:
        fail(403, "forbidden", "supervisors and admins only")


def require_admin() -> None:
    if not viewer().is_admin:
        fail(403, "forbidden", "admins only")


# -- request bodies ----------------------------------------------------------------------------


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def json_body(allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    if request.mimetype != "application/json":
        fail(415, "unsupported_media_type", "send the body as application/json")
    raw = request.get_data(cache=True)  # 413 beyond MAX_BODY
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError, UnicodeDecodeError):
        fail(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(data, dict):
        fail(400, "malformed_json", "the body must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        fail(422, "validation_failed", f"unknown field(s): {', '.join(_short(k) for k in unknown[:5])}")
    missing = [k for k in required if k not in data]
    if missing:
        fail(422, "validation_failed", f"missing field(s): {', '.join(missing)}")
    return data


def body_id(data: Mapping[str, Any], key: str, *, nullable: bool = False) -> int | None:
    value = data.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        fail(422, "validation_failed", f"{key} must be a positive whole number" + (" or null" if nullable else ""))
    return value


def _short(value: Any, length: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= length else text[:length] + "…")


# -- query strings -----------------------------------------------------------------------------


class Query:
    """Typed access to the query string; unknown parameters are a 400, so typos do not pass
    silently as "no filter"."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.args = request.args
        unknown = sorted(set(self.args) - set(allowed) - {"limit", "cursor"})
        if unknown:
            fail(400, "invalid_filter", f"unknown query parameter(s): {', '.join(_short(k) for k in unknown[:5])}")
        for key in self.args:
            if len(self.args.getlist(key)) > 1:
                fail(400, "invalid_filter", f"{_short(key)} given more than once (use a comma-separated list)")

    def text(self, key: str, max_length: int = 200) -> str | None:
        value = self.args.get(key)
        if value is None:
            return None
        if len(value) > max_length:
            fail(400, "invalid_filter", f"{key} is longer than {max_length} characters")
        return value

    def choices(self, key: str, allowed: Sequence[str]) -> list[str] | None:
        value = self.text(key, 500)
        if value is None:
            return None
        items = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in items if v not in allowed]
        if bad or not items:
            fail(400, "invalid_filter", f"{key} must be one or more of {', '.join(allowed)}")
        return items

    def choice(self, key: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        value = self.text(key, 100)
        if value is None:
            return default
        if value not in allowed:
            fail(400, "invalid_filter", f"{key} must be one of {', '.join(allowed)}")
        return value

    def ident(self, key: str, specials: Sequence[str] = ()) -> int | str | None:
        value = self.text(key, 20)
        if value is None:
            return None
        if value in specials:
            return value
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            extra = f" or {', '.join(specials)}" if specials else ""
            fail(400, "invalid_filter", f"{key} must be a positive whole number{extra}")
        return int(value)

    def number(self, key: str, low: int, high: int, default: int) -> int:
        value = self.text(key, 12)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            fail(400, "invalid_filter", f"{key} must be a whole number from {low} to {high}")
        return int(value)

    def flag(self, key: str) -> bool:
        value = self.choice(key, ("true", "false"), "false")
        return value == "true"

    def instant(self, key: str) -> datetime | None:
        value = self.text(key, 40)
        if value is None:
            return None
        return parse_instant(value, key, status=400, code="invalid_filter")

    def limit(self) -> int:
        return self.number("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)

    def cursor(self, kind: str, decode: Callable[[list[Any]], Any]) -> Any:
        raw = self.text("cursor", 300)
        return None if raw is None else decode_cursor(raw, kind, decode)


def parse_instant(value: Any, key: str, *, status: int = 422, code: str = "validation_failed") -> datetime:
    if not isinstance(value, str):
        fail(status, code, f"{key} must be an ISO 8601 date and time with its offset")
    value = value.strip()
    if "T" in value:
        value = value.replace(" ", "+")  # a "+" in a query string arrives as a space
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(status, code, f"{key} must be an ISO 8601 date and time with its offset (e.g. 2026-06-15T09:00:00Z)")
    if parsed.tzinfo is None:
        fail(status, code, f"{key} needs a time zone offset (e.g. Z or +02:00)")
    return parsed


# -- cursors -----------------------------------------------------------------------------------


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    raw = json.dumps([kind, *[v.isoformat() if isinstance(v, datetime) else v for v in key]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(raw: str, kind: str, decode: Callable[[list[Any]], Any]) -> Any:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(data, list) or not data or data[0] != kind:
            raise ValueError("cursor for another listing")
        return decode(data[1:])
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error, RecursionError, UnicodeDecodeError):
        fail(400, "invalid_cursor", "the cursor is not valid for this listing; start again without it")


def cursor_id(values: list[Any]) -> int:
    [value] = values
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ValueError("bad id")
    return value


def cursor_instant_id(values: list[Any]) -> tuple[datetime, int]:
    instant, ident = values
    parsed = datetime.fromisoformat(instant)
    if parsed.tzinfo is None:
        raise ValueError("naive")
    return parsed, cursor_id([ident])


def page(items: list[Any], render: Callable[[Any], Any], next_cursor: str | None) -> Response:
    return jsonify(data=[render(item) for item in items], next_cursor=next_cursor)


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def created(body: Any) -> tuple[Response, int]:
    return jsonify(body), 201


def current_redis() -> Any:
    return current_app.extensions["contactcenter.app.runtime"].redis
