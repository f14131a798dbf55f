"""Writing calls into the store: one `Interaction` per call leg, every carrier event once.

Carriers retry and reorder webhooks. Each accepted event is stored under a dedupe key (unique in
the database, so two processes racing on the same retry cannot both win), and call status only
moves forward, so a late "ringing" never undoes a "completed".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.contacts import customers
from contactcenter.contacts.models import CarrierEvent, Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import TERMINAL_STATUSES, CallEvent

STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    **{status: 4 for status in TERMINAL_STATUSES},
}
# Callers who hang up sooner than this after joining a queue are "short abandons" (often
# excluded from service levels: they hung up before anyone could have answered).
SHORT_ABANDON_S = 5.0
# Parameters never worth keeping in the event log.
SECRET_PARAMS = frozenset({"AccountSid"})


class UnknownCall(DomainError, LookupError):
    """A webhook names a call we never saw; answered with 404, nothing written."""

    kind: Kind = "not_found"
    code = "unknown_call"


@dataclass(frozen=True)
class Recorded:
    interaction: Interaction
    duplicate: bool


def event_key(event: CallEvent) -> str:
    """Identity of a delivery: the same event resent by the carrier maps to the same key."""
    if event.kind == "status":
        seq = "" if event.sequence_number is None else str(event.sequence_number)
        return f"status:{event.call_sid}:{event.call_status}:{seq}"
    if event.kind == "voice" and event.digits is None and event.speech_result is None:
        return f"voice:{event.call_sid}:start"
    body = "&".join(f"{k}={v}" for k, v in sorted(event.params.items()))
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]
    return f"{event.kind}:{event.call_sid}:{digest}"


def event_values(event: CallEvent, key: str | None = None, received_at: datetime | None = None) -> dict[str, Any]:
    """The event log row for one delivery (without its interaction), secrets left out."""
    return {
        "dedupe_key": key or event_key(event),
        "kind": event.kind,
        "call_status": event.call_status,
        "params": {k: v for k, v in event.params.items() if k not in SECRET_PARAMS},
        "received_at": received_at or clock.now(),
    }


def _insert_events(session: Session, interaction_id: int, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: the unique key decides, even between processes racing
    on the same retry, without a savepoint round trip. Returns how many rows were new."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CarrierEvent).values([{**row, "interaction_id": interaction_id} for row in rows])
    # An INSERT's result is a CursorResult, which has the rowcount; Session.execute is typed for any statement.
    result = cast(CursorResult[Any], session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"])))
    return int(result.rowcount or 0)


def _log_event(session: Session, interaction: Interaction, event: CallEvent, key: str | None = None) -> bool:
    """Store the event once; False when this exact delivery was seen before."""
    return bool(_insert_events(session, interaction.id, [event_values(event, key)]))


def log_events(session: Session, interaction_id: int, rows: list[dict[str, Any]]) -> None:
    """Store deliveries accepted earlier (the IVR's, kept in Redis until the caller left it);
    any already stored are skipped by their key."""
    if rows:
        _insert_events(session, interaction_id, rows)


def moves_status(stored_status: str, event: CallEvent) -> bool:
    """Would this event change a call whose stored status is `stored_status` (status forward,
    a recording, the end)? A webhook that would must go through `record_event`."""
    if event.is_terminal or event.recording_url:
        return True
    return STATUS_RANK.get(event.call_status, -1) > STATUS_RANK.get(stored_status, -1)


def find(session: Session, call_sid: str) -> Interaction | None:
    return session.scalars(select(Interaction).where(Interaction.call_sid == call_sid)).first()


def find_for_update(session: Session, call_sid: str) -> Interaction | None:
    """The call's row, locked until this transaction ends and read afresh.

    The caller's last status and an agent's accept can race: whichever commits second must see
    what the first wrote, or a call ends up both abandoned and answered. (SQLite serializes
    writers anyway; PostgreSQL needs the row lock.)
    """
    return session.scalars(
        select(Interaction)
        .where(Interaction.call_sid == call_sid)
        .with_for_update(of=Interaction)
        .execution_options(populate_existing=True)
    ).first()


def open_call(session: Session, event: CallEvent, default_region: str = "US") -> Recorded:
    """The first webhook of a call creates its interaction; any repeat finds it unchanged."""
    existing = find(session, event.call_sid)
    if existing is not None:
        return Recorded(existing, duplicate=not _log_event(session, existing, event))
    caller = event.from_number if event.is_inbound else event.to_number
    customer = customers.find_by_phone(session, caller, default_region)
    interaction = Interaction(
        call_sid=event.call_sid,
        parent_call_sid=event.parent_call_sid,
        direction=event.direction,
        from_number=event.from_number,
        to_number=event.to_number,
        customer_id=customer.id if customer else None,
        status=event.call_status,
        arrived_at=event.timestamp or clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(interaction)
            session.flush()
    except IntegrityError:
        # Another process created it between our read and our write: that delivery won.
        if interaction in session:
            session.expunge(interaction)
        winner = find(session, event.call_sid)
        if winner is None:
            raise
        return Recorded(winner, duplicate=True)
    _log_event(session, interaction, event)
    return Recorded(interaction, duplicate=False)


def record_event(
    session: Session, event: CallEvent, key: str | None = None, short_abandon_s: float = SHORT_ABANDON_S
) -> Recorded:
    """A later webhook of a known call: logged once, and status applied if it moves forward.

    `key` overrides the dedupe key when the delivery's identity is not in its parameters
    (an IVR step number travels in the URL).
    """
    interaction = find_for_update(session, event.call_sid) if event.is_terminal else find(session, event.call_sid)
    if interaction is None:
        raise UnknownCall(event.call_sid)
    if not _log_event(session, interaction, event, key):
        return Recorded(interaction, duplicate=True)
    _apply_status(interaction, event, short_abandon_s)
    return Recorded(interaction, duplicate=False)


def _apply_status(interaction: Interaction, event: CallEvent, short_abandon_s: float = SHORT_ABANDON_S) -> None:
    if interaction.is_ended:
        return
    if STATUS_RANK.get(event.call_status, -1) < STATUS_RANK.get(interaction.status, -1):
        return  # out of order: an older status arrived after a newer one
    at = event.timestamp or clock.now()
    interaction.status = event.call_status
    if event.call_status == "in-progress" and interaction.direction == "outbound":
        interaction.answered_at = interaction.answered_at or at
    if event.recording_url and not interaction.recording_url:
        interaction.recording_url = event.recording_url
    if event.is_terminal:
        end_call(interaction, at, event.call_status, event.duration_s, short_abandon_s)


def end_call(
    interaction: Interaction,
    at: datetime,
    carrier_status: str,
    duration_s: int | None,
    short_abandon_s: float = SHORT_ABANDON_S,
) -> None:
    """Close the interaction and name its outcome in contact-center terms."""
    if interaction.is_ended:
        return
    interaction.status = carrier_status
    interaction.ended_at = max(at, interaction.arrived_at)
    if duration_s is None:
        duration_s = int((interaction.ended_at - interaction.arrived_at).total_seconds())
    interaction.duration_s = duration_s
    # An outcome set earlier (e.g. "callback": the caller chose to be called back) stands.
    interaction.outcome = interaction.outcome or _outcome(interaction, carrier_status)
    if interaction.queued_at is not None:
        until = interaction.answered_at or interaction.ended_at
        interaction.wait_s = max(0, int((until - interaction.queued_at).total_seconds()))
        interaction.short_abandon = interaction.outcome == "abandoned" and interaction.wait_s < short_abandon_s
    if interaction.ivr_flow and interaction.ivr_exit is None:
        interaction.ivr_exit = "caller-hung-up"


def _outcome(interaction: Interaction, carrier_status: str) -> str:
    if carrier_status != "completed":
        return carrier_status  # busy, no-answer, failed, canceled
    if interaction.answered_at is not None:
        return "completed"
    if interaction.queued_at is not None:
        return "abandoned"
    return "ended-in-ivr" if interaction.direction == "inbound" else "completed"


def mark_queued(interaction: Interaction, queue_id: int | None) -> None:
    if interaction.queued_at is None:
        interaction.queued_at = clock.now()
    if queue_id is not None and interaction.queue_id is None:
        interaction.queue_id = queue_id
