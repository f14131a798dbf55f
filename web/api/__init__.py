"""The REST API (JSON) for integrations: customers, interactions, tickets, comments, SLA, search.

Thin by design: parse, authorize, call `contactcenter.tickets`, render. Every request but
GET /api/openapi.json carries an API token (`Authorization: Bearer …`); cookies are not looked
at, which is why the blueprint is exempt from CSRF checks.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from contactcenter.errors import DomainError
from web import errors
from web.api import (
    accounts,
    campaigns,
    customers,
    dnc,
    interactions,
    offers,
    openapi,
    orders,
    quality,
    reports,
    search,
    sla,
    tickets,
)
from web.api.core import ApiError, authenticate_request, error_response

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger("contactcenter.api")
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def openapi_json() -> Response:
    return jsonify(openapi.document())


bp.add_url_rule("/openapi.json", endpoint="openapi", view_func=openapi_json, methods=["GET"])

for module in (
    accounts,
    customers,
    interactions,
    tickets,
    search,
    sla,
    reports,
    quality,
    campaigns,
    dnc,
    orders,
    offers,
):
    for path, view, methods in module.ROUTES:
        bp.add_url_rule(
            path, endpoint=f"{module.__name__.rsplit('.', 1)[-1]}_{view.__name__}", view_func=view, methods=methods
        )


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return authenticate_request()


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


# The app's one handler, registered here again only because this blueprint's catch-all below
# would otherwise answer domain errors with a 500 before the app's handler is looked at.
bp.register_error_handler(DomainError, errors.domain_error)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = {
        404: "no such API resource",
        405: f"{request.method} is not allowed here",
        413: "the request body is too large",
    }.get(status, exc.description or exc.name)
    response = error_response(status, HTTP_CODES.get(status, "error"), message)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    outage = errors.unavailable(exc)  # the store or Redis unreachable: 503 "unavailable"
    if outage is not None:
        return outage
    log.exception("API request failed: %s %s", request.method, request.path)
    return error_response(500, "internal_error", "something went wrong on our side")


@bp.app_errorhandler(HTTPException)
def _http_error_outside_views(exc: HTTPException) -> Response | HTTPException:
    """Routing errors (unknown path, wrong method) under /api get JSON; others keep their page."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return _http_error(exc)
    return exc
