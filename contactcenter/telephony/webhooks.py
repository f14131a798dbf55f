"""Carrier webhook parameters → `CallEvent`, refusing anything malformed or oversized.

Every value arrives from the network; nothing here trusts it. A refusal raises `MalformedWebhook`
with a message fit to return to the sender (it never echoes the hostile value back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from contactcenter import clock
from contactcenter.errors import DomainError
from contactcenter.telephony.call_ids import TWILIO_CALL_SID
from contactcenter.telephony.interfaces import CALL_STATUSES, CallEvent, Instruction, Pause, Redirect, Say
from contactcenter.telephony.softphone import split_client_address

CALL_SID = TWILIO_CALL_SID  # the name web.hooks imports
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
DIGITS = re.compile(r"^[0-9*#w]{0,64}$")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_PARAMS = 100
MAX_VALUE = 4096
MAX_PARTY = 128
MAX_SPEECH = 2000
DIRECTIONS = {"inbound": "inbound", "outbound-api": "outbound", "outbound-dial": "outbound"}
KINDS = ("voice", "status", "wait")
ANSWERED_BY = {
    "human",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
    "unknown",
}


class MalformedWebhook(DomainError, ValueError):
    """The webhook cannot be a genuine carrier request; answered with 400."""


def _text(params: Mapping[str, str], name: str, *, required: bool = True, limit: int = MAX_VALUE) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise MalformedWebhook(f"missing parameter {name}")
        return None
    if len(value) > limit:
        raise MalformedWebhook(f"parameter {name} is too long")
    if CONTROL_CHARS.search(value):
        raise MalformedWebhook(f"parameter {name} has control characters")
    return value


def _int(params: Mapping[str, str], name: str, upper: int) -> int | None:
    raw = _text(params, name, required=False, limit=12)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) > upper:
        raise MalformedWebhook(f"parameter {name} must be a whole number up to {upper}")
    return int(raw)


def _party(params: Mapping[str, str], name: str) -> str:
    """A party of the call; a browser's custom parameters (`client:alice?task=CA…`, which the app
    dialled) are not part of who it is, so they neither count toward the limit nor get stored."""
    raw, _ = split_client_address(params.get(name) or "")
    return _text({name: raw}, name, required=False, limit=MAX_PARTY) or ""


def parse_call_event(kind: str, params: Mapping[str, str]) -> CallEvent:
    if kind not in KINDS:
        raise MalformedWebhook(f"unknown webhook kind {kind}")
    if len(params) > MAX_PARAMS:
        raise MalformedWebhook("too many parameters")
    for key, value in params.items():
        if len(key) > 64 or len(value) > MAX_VALUE:
            raise MalformedWebhook("a parameter is too long")
    call_sid = _text(params, "CallSid") or ""
    if not TWILIO_CALL_SID.match(call_sid):
        raise MalformedWebhook("CallSid is not a call id")
    account_sid = _text(params, "AccountSid") or ""
    if not ACCOUNT_SID.match(account_sid):
        raise MalformedWebhook("AccountSid is not an account id")
    status = (_text(params, "CallStatus") or "").lower()
    if status not in CALL_STATUSES:
        raise MalformedWebhook("CallStatus is not a known call status")
    direction_raw = (_text(params, "Direction", required=False, limit=32) or "inbound").lower()
    if direction_raw.startswith("trunking"):
        direction_raw = "inbound" if direction_raw.endswith("originating") else "outbound-api"
    direction = DIRECTIONS.get(direction_raw)
    if direction is None:
        raise MalformedWebhook("Direction is not a known call direction")
    digits = _text(params, "Digits", required=False, limit=64)
    if digits is not None and not DIGITS.match(digits):
        raise MalformedWebhook("Digits may hold only 0-9, * and #")
    parent = _text(params, "ParentCallSid", required=False, limit=64)
    if parent and not TWILIO_CALL_SID.match(parent):
        raise MalformedWebhook("ParentCallSid is not a call id")
    answered_by = _text(params, "AnsweredBy", required=False, limit=32)
    if answered_by and answered_by not in ANSWERED_BY:
        raise MalformedWebhook("AnsweredBy is not a known answering-machine outcome")
    recording_url = _text(params, "RecordingUrl", required=False, limit=512)
    if recording_url and not recording_url.startswith(("https://", "http://")):
        raise MalformedWebhook("RecordingUrl is not a URL")
    timestamp = None
    raw_ts = _text(params, "Timestamp", required=False, limit=64)
    if raw_ts:
        try:
            timestamp = clock.as_utc(parsedate_to_datetime(raw_ts))
        except (TypeError, ValueError, IndexError) as exc:
            raise MalformedWebhook("Timestamp is not an RFC 2822 date") from exc
    return CallEvent(
        kind=kind,
        call_sid=call_sid,
        account_sid=account_sid,
        from_number=_text(params, "From", required=False, limit=MAX_PARTY) or "",
        to_number=_party(params, "To"),
        call_status=status,
        direction=direction,
        digits=digits,
        speech_result=_text(params, "SpeechResult", required=False, limit=MAX_SPEECH),
        parent_call_sid=parent or None,
        duration_s=_int(params, "CallDuration", 7 * 24 * 3600),
        sequence_number=_int(params, "SequenceNumber", 10**9),
        timestamp=timestamp,
        answered_by=answered_by or None,
        recording_url=recording_url or None,
        params=dict(params),
    )


# -- while the store is unreachable ---------------------------------------------------------------

# Webhooks whose answer is a wait document the carrier requests again by itself (no redirect).
WAIT_DOCUMENTS = ("wait", "hold")
# Webhooks answered with no TwiML at all (status callbacks).
NO_TWIML = ("status", "agent_leg")
FALLBACK_PAUSE_S = 5
MAX_HELD = 10_000


def fallback_instructions(endpoint: str, retry_url: str, held: int) -> list[Instruction] | None:
    """A safe answer while the database is unreachable: never an error the caller hears.

    The caller is asked to hold and the carrier is sent back to the same webhook after a pause,
    so the call carries on where it was as soon as the store answers again (`held` counts the
    rounds, to apologise once and not on every round). None: answer without TwiML.
    """
    if endpoint in NO_TWIML:
        return None
    if endpoint in WAIT_DOCUMENTS:
        return [Say("Thank you for holding."), Pause(FALLBACK_PAUSE_S)]
    said = (
        Say("We are sorry, we are having a short technical problem. Please stay on the line.")
        if held == 0
        else Say("Thank you for holding.")
    )
    return [said, Pause(FALLBACK_PAUSE_S), Redirect(retry_url)]
