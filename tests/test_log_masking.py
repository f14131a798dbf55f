"""What the log masking hides (phone numbers in any common spelling, API tokens, card numbers)
and what it must leave alone so the logs stay useful (times, durations, ids, ports)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from contactcenter.app import logging_setup
from contactcenter.app.logging_setup import mask_text

TOKEN = "cct_Zx9-Qm_4T2025550143aBcD0123456789xyzXYZ_-abcdefg"
SID = "CA" + "2025550143" * 2 + "a" * 12  # a call id whose hex happens to hold digit runs

MASKED = [
    # API tokens, with or without "Bearer"
    (f"request with token {TOKEN} refused", "request with token cct_*** refused"),
    (f"X-Api-Key={TOKEN}", "X-Api-Key=cct_***"),
    (f'{{"key": "{TOKEN}"}}', '{"key": "cct_***"}'),
    (f"Authorization: Bearer {TOKEN}", "Authorization: Bearer ***"),
    # international numbers: the prefix, the country's first digit and the last two stay
    ("caller +14155550123 hung up", "caller +1********23 hung up"),
    ("caller +1 (202) 555-0143 hung up", "caller +1 (***) ***-**43 hung up"),
    ("transfer to +44 20 7183 8750", "transfer to +4* ** **** **50"),
    ("dialing 0044 7911 123456", "dialing 004* **** ****56"),
    ("tel:+14155550123;ext=12", "tel:+1********23;ext=12"),
    # North American numbers written nationally: only the last two stay
    ("callback 202-555-0143 requested", "callback ***-***-**43 requested"),
    ("callback (202) 555-0143", "callback (***) ***-**43"),
    ("callback 202.555.0143", "callback ***.***.**43"),
    ("callback 1-202-555-0143", "callback *-***-***-**43"),
    # numbers written nationally elsewhere (trunk 0, grouped)
    ("callback on 07911 123456 please", "callback on ***** ****56 please"),
    ("Kunde 030 1234-5678", "Kunde *** ****-**78"),
    # bare digits where the key says it is a number, short ones too
    ("to=+1415555 from=2125550", "to=+1****55 from=*****50"),
    ("GET /api/customers?to=2025550143&page=2", "GET /api/customers?to=********43&page=2"),
    ("Caller=12025550143&Called=18005550100", "Caller=*********43&Called=*********00"),
    ('{"from": "2025550143", "phone": 4155550123}', '{"from": "********43", "phone": ********23}'),
    # URL-encoded plus sign, once or twice
    ("From=%2B14155550123&To=%2b18005550100", "From=%2B1********23&To=%2b1********00"),
    ("next=%252B14155550123", "next=%252B1********23"),
    # E.164 in JSON and in TwiML
    ('{"to": "+14155550123", "status": "ringing"}', '{"to": "+1********23", "status": "ringing"}'),
    (
        '<Dial callerId="+18005550100"><Number>+14155550123</Number></Dial>',
        '<Dial callerId="+1********00"><Number>+1********23</Number></Dial>',
    ),
    # card-like digit runs (Luhn-valid): the last four stay
    ("paid with 4111 1111 1111 1111", "paid with **** **** **** 1111"),
    ("Digits=4111111111111111", "Digits=************1111"),
    ("amex 3782-822463-10005", "amex ****-******-*0005"),
]

KEPT = [
    "2026-12-06 20:01:02 call ended",
    "2026-12-06T20:01:02.123456+00:00",
    "20:01:02 +0000",
    "took 1532 ms, duration=00:02:05, RecordingDuration=125",
    f"call {SID} completed",
    "AccountSid=AC" + "5" * 32,
    "ticket #123 reopened, ticket #4521 closed",
    "redis at 127.0.0.1:6379, postgresql://db:5432/contactcenter",
    "epoch 1733515262, in ms 1733515262123",
    "job 6f1c2d3e-1234-4567-89ab-0123456789ab",
    "queue support: 12 waiting, 3 agents, position 2",
    "GET /api/tickets?page=2&per_page=50 503 Retry-After: 60",
    "version 3.11.4, amount 1234.56, 10.0.0.12",
    "Digits=1",
    "invoice 0123-4567, room 030",
    "order 4111111111111112 not found",  # 16 digits that no card could have (Luhn)
]


@pytest.mark.parametrize(("text", "expected"), MASKED, ids=[m[0][:40] for m in MASKED])
def test_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", KEPT, ids=[k[:40] for k in KEPT])
def test_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_text(" ".join(text for text, _ in MASKED))
    assert mask_text(once) == once


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("to", "2025550143", "********43"),
        ("caller", "+1 (202) 555-0143", "+1 (***) ***-**43"),
        ("from_number", "%2B14155550123", "%2B1********23"),
        ("to", "client:alice", "client:alice"),
        ("phone", 2025550143, "********43"),
    ],
    ids=["bare", "formatted", "encoded", "client-identity", "int"],
)
def test_phone_extras_are_masked_in_every_spelling(key: str, value: object, expected: str) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logging_setup.configure("web", json_lines=True, stream=stream)
        logging.getLogger("contactcenter.test").info("call placed", extra={key: value})
    finally:
        for handler in list(root.handlers):
            if handler not in saved[0]:
                root.removeHandler(handler)
        root.setLevel(saved[1])
    [line] = [json.loads(raw) for raw in stream.getvalue().splitlines() if "call placed" in raw]
    assert line[key] == expected


def test_oversized_text_is_masked_quickly() -> None:
    """A hostile, huge log line (a pasted body) is masked without backtracking for ages."""
    import time

    text = ("+1 " + "2 " * 50_000) + "(" * 20_000 + "0" * 50_000 + " cct_" + "a" * 50_000
    started = time.perf_counter()
    masked = mask_text(text)
    assert time.perf_counter() - started < 2.0
    assert "a" * 100 not in masked
