"""/api/analytics/offers/acceptance: how often customers took the offers agents made."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, jsonify, request

from contactcenter.analytics.offer_responses import acceptance
from web import database
from web.api.core import fail


def offer_acceptance() -> Response:
    """Counts each (call, product) once by its latest answer; `since` is a date (YYYY-MM-DD)."""
    since_text = request.args.get("since")
    since = None
    if since_text:
        try:
            if len(since_text) > 10:
                raise ValueError
            since = datetime.strptime(since_text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            fail(400, "bad_since", "since must be a date, YYYY-MM-DD")
    return jsonify(acceptance(database.session(), since).as_dict())


ROUTES = [("/analytics/offers/acceptance", offer_acceptance, ["GET"])]
