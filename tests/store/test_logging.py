"""Structured logs: JSON lines with call ids, phone numbers and secrets never in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest

from contactcenter.app import logging_setup
from contactcenter.app.logging_setup import mask_text
from tests.support.factories import carrier_params, post_signed


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    """The process logging as `contactcenter web` sets it up, written to a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    logging_setup.configure("web", json_lines=True, stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in saved[0]:
            root.removeHandler(handler)
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_numbers_and_secrets_are_masked_in_text():
    text = mask_text(
        "caller +14155550123 to +442071838750; auth_token=abc123secret password: hunter2 "
        "Authorization: Bearer eyJhbGciOi.payload.sig call CA0123456789abcdef0123456789abcdef"
    )
    assert "4155550123" not in text and "2071838750" not in text
    assert "+1********23" in text and "+4*********50" in text
    assert "abc123secret" not in text and "hunter2" not in text and "eyJhbGciOi" not in text
    assert "CA0123456789abcdef0123456789abcdef" in text  # call ids are what logs are searched by


def test_a_webhook_logs_json_lines_with_the_call_id_and_no_number(client, db, captured):
    params = carrier_params(from_="+14155550177")
    assert post_signed(client, "/hooks/voice", params).status_code == 200
    output = captured.getvalue()
    assert "4155550177" not in output
    answered = [line for line in _lines(captured) if line["msg"] == "call answered"]
    assert answered and answered[0]["call_sid"] == params["CallSid"]
    assert answered[0]["level"] == "INFO" and answered[0]["process"] == "web" and answered[0]["ts"]


def test_extras_exceptions_and_arguments_are_masked(captured):
    log = logging.getLogger("contactcenter.test")
    log.info(
        "lookup for %s",
        "+14155550188",
        extra={"phone": "+14155550188", "token": "tok-123", "call_sid": "CA" + "1" * 32},
    )
    try:
        raise ValueError("no customer with +14155550188")
    except ValueError:
        log.exception("lookup failed")
    output = captured.getvalue()
    assert "4155550188" not in output and "tok-123" not in output
    first, second = _lines(captured)
    assert first["token"] == "***" and first["call_sid"] == "CA" + "1" * 32
    assert "+1********88" in second["exc"]


def test_configuring_again_replaces_the_handler(captured):
    root = logging.getLogger()
    before = len(root.handlers)
    logging_setup.configure("worker", json_lines=True, stream=captured)
    assert len(root.handlers) == before
    logging.getLogger("contactcenter.test").warning("once")
    assert [line["process"] for line in _lines(captured) if line["msg"] == "once"] == ["worker"]


def test_production_logs_json_unless_told_otherwise():
    from contactcenter.config import load_settings

    assert load_settings({"CONTACTCENTER_ENV": "production"}).log_json
    assert not load_settings({"CONTACTCENTER_ENV": "production", "LOG_FORMAT": "text"}).log_json
    assert load_settings({"LOG_FORMAT": "json"}).log_json
    assert not load_settings({}).log_json
