"""The call each agent is on, as the board's grid shows it: the caller masked, queue, direction,
and when it was answered (the page counts the duration).

Read from the store with today's figures (one indexed query over the calls in progress), so the
live path never waits on SQL; a row that comes before its call's details shows them at the next
refresh, a few seconds later at most.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Interaction

MAX_AGE = timedelta(hours=12)  # a call still "in progress" after this lost its end: not shown
DOTS = "\u2022\u2022\u2022\u2022"


def masked(number: str | None) -> str:
    """A caller's number with only its country code and last four digits: `+44 •••• 1234`."""
    if not number:
        return "unknown"
    if number.startswith(("client:", "sip:")):
        return "internal"
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 6:
        return DOTS
    try:
        code = phonenumbers.parse(number if number.startswith("+") else "+" + digits, None).country_code
    except phonenumbers.NumberParseException:
        code = None
    return f"+{code} {DOTS} {digits[-4:]}" if code else f"{DOTS} {digits[-4:]}"


def direction_of(raw: str | None) -> str:
    return "outbound" if raw and raw.startswith("outbound") else "inbound"


def current_calls(session: Session) -> dict[str, dict[str, Any]]:
    """Call details by call id, for calls answered by an agent and not ended."""
    since = clock.now() - MAX_AGE
    rows = session.execute(
        select(
            Interaction.call_sid,
            Interaction.direction,
            Interaction.from_number,
            Interaction.to_number,
            Interaction.answered_at,
            Queue.name,
            Queue.display_name,
        )
        .outerjoin(Queue, Queue.id == Interaction.queue_id)
        .where(Interaction.agent_id.is_not(None), Interaction.ended_at.is_(None), Interaction.arrived_at >= since)
    )
    out: dict[str, dict[str, Any]] = {}
    for sid, direction, from_number, to_number, answered_at, queue, queue_name in rows:
        way = direction_of(direction)
        out[sid] = {
            "caller": masked(from_number if way == "inbound" else to_number),
            "direction": way,
            "queue": queue,
            "queue_name": queue_name or queue,
            "answered_at": answered_at.timestamp() if answered_at else None,
        }
    return out
