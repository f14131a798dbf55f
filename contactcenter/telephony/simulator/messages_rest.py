"""The Messages resource of the simulated REST API (see rest_api): create, fetch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

from contactcenter.telephony.simulator.engine_core import API_VERSION
from contactcenter.telephony.simulator.text_messages import SimMessage, TextMessages

ACCOUNT = f"/{API_VERSION}/Accounts/<account_sid>"


def add_message_routes(app: Flask, carrier: TextMessages, when: Callable[[float | None], str | None]) -> None:
    def message_json(m: SimMessage) -> dict[str, Any]:
        base = f"/{API_VERSION}/Accounts/{m.account_sid}/Messages/{m.sid}"
        return {
            "sid": m.sid,
            "account_sid": m.account_sid,
            "api_version": API_VERSION,
            "body": m.body,
            "date_created": when(m.created_at),
            "date_updated": when(m.updated_at),
            "date_sent": when(m.updated_at) if m.status in ("sent", "delivered", "undelivered") else None,
            "direction": m.direction,
            "error_code": m.error_code,
            "error_message": None if m.error_code is None else "Unknown destination handset",
            "from": m.from_,
            "to": m.to,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(m.segments),
            "price": None,
            "price_unit": "USD",
            "status": m.status,
            "uri": f"{base}.json",
            "subresource_uris": {"media": f"{base}/Media.json"},
        }

    @app.post(f"{ACCOUNT}/Messages.json")
    def create_message(account_sid: str) -> Response:
        form = request.form
        message = carrier.create_message(
            form.get("To", ""), form.get("From", ""), form.get("Body", ""), form.get("StatusCallback") or None
        )
        with carrier.lock:
            response = jsonify(message_json(message))
        response.status_code = 201
        return response

    @app.get(f"{ACCOUNT}/Messages/<sid>.json")
    def fetch_message(account_sid: str, sid: str) -> Response:
        message = carrier.get_message(sid)
        with carrier.lock:
            return jsonify(message_json(message))
