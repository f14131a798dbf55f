"""Logging for every process (web, worker, pacer, demo), configured once.

Production logs are JSON lines — one object per record with time, level, logger, message and
whatever the call site passed in `extra` (call_sid, job_id, status…) — so a log store can
filter one call's story across processes. Plain text stays the default for a terminal.

Nothing leaves in clear that should not: a filter on the handler masks phone numbers in E.164
(country code and last two digits stay, enough to tell calls apart), carrier and API tokens,
passwords and secrets in `key=value` text, and the values of sensitive `extra` fields. It runs
on the formatted record (message, arguments, extras and the traceback text), so a number inside
an exception message is masked too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, Iterable

# +14155550100 → +1*******00; digits kept: the country's first digit and the last two.
E164 = re.compile(r"(?<![\w+])\+(\d)(\d{5,12})(\d{2})(?!\d)")
# Twilio SIDs are identifiers, not secrets; these are secrets wherever they appear.
SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|secret|secret_key|token|auth_token|api_key|apikey|authorization|x-twilio-signature"
    r"|signature)\b(\s*[=:]\s*|\"\s*:\s*\")(Bearer\s+|Basic\s+)?([^\s&\",;]+)"
)
BEARER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")
SENSITIVE_FIELDS = {"password", "secret", "secret_key", "token", "auth_token", "api_key", "authorization",
                    "signature", "x_twilio_signature", "cookie", "session"}
PHONE_FIELDS = {"from", "to", "from_number", "to_number", "phone", "caller", "called", "number", "e164", "ani"}

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def mask_text(text: str) -> str:
    """`text` with E.164 numbers and secrets masked."""
    text = E164.sub(lambda m: "+" + m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    text = BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    return SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}***", text)


def _mask_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in SENSITIVE_FIELDS:
        return "***"
    if isinstance(value, str):
        if lowered in PHONE_FIELDS and value.startswith("+"):
            return mask_text(value) if E164.search(value) else "***"
        return mask_text(value)
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
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
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


def configure(process: str, *, json_lines: bool = False, level: int = logging.INFO,
              stream: Any = None, quiet: Iterable[str] = ("werkzeug", "alembic", "rq.worker", "engineio", "socketio")) -> logging.Handler:
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
