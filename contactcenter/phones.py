"""Phone numbers in E.164, parsed with `phonenumbers` (the library behind Android's dialer)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, timezone as pn_timezone

from contactcenter.errors import DomainError

MAX_RAW_LENGTH = 64


class InvalidPhoneNumber(DomainError, ValueError):
    """Not a dialable number; the message says why."""


def normalize(raw: str, default_region: str = "US") -> str:
    """E.164 form of `raw` ("(415) 555-0100" -> "+14155550100"); raises InvalidPhoneNumber."""
    if not isinstance(raw, str):
        raise InvalidPhoneNumber("phone number must be text")
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    if len(text) > MAX_RAW_LENGTH:
        raise InvalidPhoneNumber("phone number is too long")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("not a valid phone number for its country")
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def try_normalize(raw: str | None, default_region: str = "US") -> str | None:
    """E.164 or None: for caller IDs, which may be "anonymous", a SIP URI or a client name."""
    if not raw:
        return None
    try:
        return normalize(raw, default_region)
    except InvalidPhoneNumber:
        return None


def time_zones(e164: str) -> tuple[str, ...]:
    """IANA time zones the number may be in (several for a US mobile, one for a landline area)."""
    parsed = phonenumbers.parse(e164, None)
    zones = tuple(z for z in pn_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown")
    return zones


def mask(e164: str | None) -> str:
    """A number fit for logs: country code and last two digits only."""
    if not e164:
        return "-"
    if len(e164) <= 5:
        return "***"
    return e164[:2] + "*" * (len(e164) - 4) + e164[-2:]


def display(e164: str) -> str:
    """A number as people read it ("+1 415-555-0100"); anything unparsable comes back as given."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164
