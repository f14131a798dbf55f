"""Logging for every process (web, worker, pacer, demo), configured once.

Production logs are JSON lines — one object per record with time, level, logger, message and
whatever the call site passed in `extra` (call_sid, job_id, status…) — so a log store can
filter one call's story across processes. Plain text stays the default for a terminal.

Nothing leaves in clear that should not: a filter on the handler masks phone numbers however
they are written (E.164, `+1 (202) 555-0143`, `0044 7911 123456`, `202-555-0143`, URL-encoded
`%2B1…`, bare digits after `to=`/`"from":`; the international prefix, the country's first digit
and the last two digits stay, enough to tell calls apart), card-like digit runs (last four stay),
API tokens (`cct_…`) and carrier tokens, passwords and secrets in `key=value` text, and the values
of sensitive `extra` fields. It runs on the formatted record (message, arguments, extras and the
traceback text), so a number inside an exception message is masked too.

What stays readable on purpose: times and dates, durations, call and account SIDs (what logs are
searched by), ticket numbers, ports and addresses, epoch timestamps. A bare run of digits is only
taken for a phone number when its key says so: a 10-digit run alone is as likely a timestamp.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Twilio SIDs are identifiers, not secrets; these are secrets wherever they appear.
SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|secret|secret_key|token|auth_token|api_key|apikey|authorization|x-twilio-signature"
    r"|signature)\b(\s*[=:]\s*|\"\s*:\s*\")(Bearer\s+|Basic\s+)?([^\s&\",;]+)"
)
BEARER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# The API's own tokens (contactcenter.tickets.api_tokens) are recognisable on their own.
API_TOKEN = re.compile(r"(?<![\w-])cct_[A-Za-z0-9_-]{6,}")

# Card numbers: grouped 4-4-4-4(-3) or 4-6-5, or an unbroken 15-16 digit run that starts like a
# card (3 to 6); masked only when the Luhn check passes, so order numbers and ids stay.
CARD = re.compile(
    r"(?<![\w+%*.-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{5}|[3-6]\d{14,15})"
    r"(?!\w|[.-]\d)"
)
# International numbers: "+", "%2B" (or "%252B") or "00", then 8 to 15 digits that may be
# grouped by single spaces, dots or dashes, the area code in parentheses:
# +14155550100, +1 (202) 555-0143, +44 20 7183 8750, 0044 7911 123456, %2B14155550100.
INTERNATIONAL = re.compile(
    r"(?<![\w+%*])(?P<prefix>\+|%(?:25)?2[Bb]|00(?=[1-9]))(?P<number>\d(?:\)?[ .-]?\(?\d){7,14})(?!\w)"
)
# North American numbers written nationally: 202-555-0143, (202) 555-0143, 202.555.0143, 1-202-555-0143.
NANP = re.compile(r"(?<![\w+%*.:/-])(?:1[ .-])?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\w|[.:/-]\d)")
# Numbers written nationally elsewhere, with the trunk 0 and grouped: 07911 123456, 030 1234-5678.
TRUNK = re.compile(r"(?<![\w+%*.:/-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?!\w|[.:/-]\d)")
# Bare digits whose key names a phone number: to=2025550143, "from": "2025550143", Caller=1202….
KEYED_NUMBER = re.compile(
    r"(?i)(?<![\w-])(?P<key>to|from|caller|called|phone|phone_number|from_number|to_number|number|mobile"
    r"|ani|e164|msisdn|callerid|caller_id|forwardedfrom)(?P<sep>\"?\s*[=:]\s*\"?)"
    r"(?P<prefix>\+|%(?:25)?2[Bb])?(?P<number>\d{6,15})(?!\w)"
)
SENSITIVE_FIELDS = {
    "password",
    "secret",
    "secret_key",
    "token",
    "auth_token",
    "api_key",
    "authorization",
    "signature",
    "x_twilio_signature",
    "cookie",
    "session",
}
PHONE_FIELDS = {"from", "to", "from_number", "to_number", "phone", "caller", "called", "number", "e164", "ani"}

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def mask_text(text: str) -> str:
    """`text` with secrets, card numbers and phone numbers masked (masking again changes nothing)."""
    text = SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}***", text)
    text = BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    text = API_TOKEN.sub("cct_***", text)
    text = CARD.sub(_mask_card, text)
    text = INTERNATIONAL.sub(lambda m: m.group("prefix") + star_digits(m.group("number"), keep_first=1), text)
    text = NANP.sub(lambda m: star_digits(m.group(0)), text)
    text = TRUNK.sub(lambda m: star_digits(m.group(0)), text)
    return KEYED_NUMBER.sub(_mask_keyed, text)


def _mask_keyed(match: re.Match[str]) -> str:
    prefix = match.group("prefix") or ""
    number = star_digits(match.group("number"), keep_first=1 if prefix else 0)
    return match.group("key") + match.group("sep") + prefix + number


def star_digits(text: str, *, keep_first: int = 0, keep_last: int = 2) -> str:
    """Every digit of `text` turned into `*` but the first and last few; separators stay where they were."""
    total = sum(ch.isdigit() for ch in text)
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            if keep_first < seen <= total - keep_last:
                ch = "*"
        out.append(ch)
    return "".join(out)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    run = match.group(0)
    return star_digits(run, keep_last=4) if _luhn_ok("".join(ch for ch in run if ch.isdigit())) else run


def _mask_phone(value: str) -> str:
    """A value known to be a phone number (its field says so), in whatever spelling."""
    masked = mask_text(value)
    if masked != value or not any(ch.isdigit() for ch in value):
        return masked  # recognised, or no number in it at all ("client:alice", "anonymous")
    return star_digits(value, keep_first=1 if value.startswith("+") else 0)


def _mask_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in SENSITIVE_FIELDS:
        return "***"
    if isinstance(value, str):
        return _mask_phone(value) if lowered in PHONE_FIELDS else mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and lowered in PHONE_FIELDS:
        return star_digits(str(value))  # a number passed as an int: 2025550143
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(key, v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Masks numbers and secrets in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        for key in list(vars(record)):
            if key not in _STANDARD:
                setattr(record, key, _mask_value(key, getattr(record, key)))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, process, then the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "process": _process_name,
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_text or record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, default=str, separators=(",", ":"), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the record's extras (call_sid=…) appended."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


_process_name = "contactcenter"
_HANDLER_NAME = "contactcenter"


def configure(
    process: str,
    *,
    json_lines: bool = False,
    level: int = logging.INFO,
    stream: Any = None,
    quiet: Iterable[str] = ("werkzeug", "alembic", "rq.worker", "engineio", "socketio"),
) -> logging.Handler:
    """Install the one handler on the root logger (again: replaced, never doubled)."""
    global _process_name
    _process_name = process
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("contactcenter").setLevel(level)
    for name in quiet:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
