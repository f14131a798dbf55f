"""The IVR against the store: self-service answers from the CRM, and the caller's path written
onto their interaction.

A menu step writes nothing to the store: its turn waits in Redis (see `ivr.session`) and is
written with the transaction that takes the caller out of the IVR, or by the status callback of a
caller who hangs up in it. Webhooks that write the call anyway (its first, a recording, a status
change) write the pending turns with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.acd.models import CallbackRequest, Queue
from contactcenter.acd.services import AcdService
from contactcenter.contacts import interactions
from contactcenter.contacts.interactions import find as find_interaction
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.ivr.engine import IvrEngine, IvrUrls, Turn
from contactcenter.ivr.flow import Flow
from contactcenter.ivr.session import IvrSession, SessionStore
from contactcenter.telephony.interfaces import CallEvent
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.services import voicemail_ticket

OPEN_STATES = ("new", "open", "pending", "on_hold")
STATUS_WORDS = {
    "en": {
        "new": "received, and waiting for a first reply",
        "open": "open, and our team is working on it",
        "pending": "waiting for information from you",
        "on_hold": "on hold while we wait for a third party",
        "solved": "solved",
        "closed": "closed",
        "merged": "merged into another request",
    },
    "es": {
        "new": "recibida y a la espera de una primera respuesta",
        "open": "abierta y nuestro equipo está trabajando en ella",
        "pending": "a la espera de información suya",
        "on_hold": "en espera de un tercero",
        "solved": "resuelta",
        "closed": "cerrada",
        "merged": "unida a otra solicitud",
    },
}

# Built once: a menu's lookup runs on the webhook hot path (see CrmSelfService._read_row).
_OPEN_TICKETS = select(func.count(Ticket.id)).where(
    Ticket.customer_id == bindparam("customer_id"), Ticket.status.in_(OPEN_STATES)
)
_TICKET_STATUS = select(Ticket.status).where(
    Ticket.id == bindparam("ticket_id"), Ticket.customer_id == bindparam("customer_id")
)
_CUSTOMER = select(Customer.name, Customer.segment).where(Customer.id == bindparam("customer_id"))


def _words(language: str) -> dict[str, str]:
    return STATUS_WORDS.get(language.split("-")[0], STATUS_WORDS["en"])


class CrmSelfService:
    """Answers the IVR's questions from the SQL store; writes callbacks and voicemail tickets."""

    def __init__(self, session: Session, default_region: str = "US", acd: AcdService | None = None) -> None:
        self.session = session
        self.default_region = default_region
        self.acd = acd

    def ticket_status(self, number: str, customer_id: int | None, language: str) -> str | None:
        """The status of one of the caller's own tickets, or None.

        Only the identified customer's tickets are answered about: anyone can dial in and type
        numbers, so another customer's ticket, an unidentified caller and an unknown number
        all get the same None (the flow's not-found path), and existence never leaks.
        """
        if customer_id is None or not number.isdigit() or len(number) > 12:
            return None
        status = self._read(_TICKET_STATUS, {"ticket_id": int(number), "customer_id": customer_id})
        return None if status is None else _words(language).get(status, status)

    def open_tickets(self, customer_id: int | None, language: str) -> str | None:
        if customer_id is None:
            return None
        count = self._read(_OPEN_TICKETS, {"customer_id": customer_id}) or 0
        if language.startswith("es"):
            return f"{count} solicitudes abiertas" if count != 1 else "una solicitud abierta"
        return f"{count} open requests" if count != 1 else "one open request"

    def account_summary(self, customer_id: int | None, language: str) -> str | None:
        if customer_id is None:
            return None
        customer = self._read_row(_CUSTOMER, {"customer_id": customer_id})
        if customer is None:
            return None
        tickets = self.open_tickets(customer_id, language)
        if language.startswith("es"):
            return f"cuenta a nombre de {customer.name}, nivel {customer.segment}, con {tickets}"
        return f"account for {customer.name}, {customer.segment} tier, with {tickets}"

    def _read_row(self, statement: Any, params: dict[str, Any]) -> Any:
        """One row of a self-service read.

        Inside a transaction of the webhook (it wrote, or will), on its connection, so the answer
        sees what the turn wrote. On a menu answer taken from Redis there is none: the read runs
        on a connection of its own in autocommit, which on SQLite takes no write lock (a webhook
        transaction begins IMMEDIATE) and on PostgreSQL needs no BEGIN/COMMIT round trips."""
        bind = self.session.get_bind()
        if self.session.in_transaction() or not isinstance(bind, Engine):
            return self.session.connection().execute(statement, params).first()
        with bind.connect() as conn:
            return conn.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params).first()

    def _read(self, statement: Any, params: dict[str, Any]) -> Any:
        row = self._read_row(statement, params)
        return None if row is None else row[0]

    def _queue_id(self, name: str | None) -> int | None:
        if not name:
            return None
        return self.session.scalar(select(Queue.id).where(Queue.name == name))

    def request_callback(self, ivr: IvrSession, queue: str, priority: int) -> None:
        """Book the callback the way a waiting caller's "press 1" does: stored and in the router.

        Through the ACD the request is offered to agents in turn at once; stored alone it would
        wait for the next Redis rebuild. Asking again for the same call (a retry, a caller who
        walks the flow twice) keeps the one request.
        """
        call = find_interaction(self.session, ivr.call_sid)
        queue_row = self.session.scalar(select(Queue).where(Queue.name == queue)) if queue else None
        if call is None or queue_row is None:
            return
        intent = ivr.variables.get("intent")
        intent = str(intent)[:120] if intent is not None else call.intent
        if self.acd is not None:
            self.acd.request_callback(call, self.default_region, queue=queue_row, priority=priority, intent=intent)
            return
        # No router (offline tools): stored for the next rebuild to pick up.
        phone = phones.try_normalize(ivr.caller, self.default_region)
        if phone is None:
            return
        exists = self.session.scalar(select(CallbackRequest.id).where(CallbackRequest.interaction_id == call.id))
        if exists is None:
            self.session.add(
                CallbackRequest(
                    interaction_id=call.id,
                    customer_id=call.customer_id,
                    phone=phone,
                    queue_id=queue_row.id,
                    priority=priority,
                    place_at=call.arrived_at,
                    intent=intent,
                )
            )
            self.session.flush()

    def voicemail(
        self, ivr: IvrSession, recording_url: str, duration_s: int | None, queue: str | None, subject: str | None
    ) -> None:
        call = find_interaction(self.session, ivr.call_sid)
        if call is not None:
            voicemail_ticket(
                self.session, call, recording_url, duration_s, queue_id=self._queue_id(queue), subject=subject
            )


@dataclass(frozen=True)
class Answered:
    """One IVR turn, and the caller's interaction when the turn had to load it (the caller left
    the IVR, or the flow wrote to the store): None on a plain menu step, which writes nothing."""

    turn: Turn
    call: Interaction | None


class IvrService:
    def __init__(
        self,
        session: Session,
        store: SessionStore,
        flow: Flow,
        urls: IvrUrls,
        default_region: str = "US",
        self_service: CrmSelfService | None = None,
        acd: AcdService | None = None,
    ) -> None:
        self.session = session
        self.store = store
        self.flow = flow
        self.engine = IvrEngine(flow, self_service or CrmSelfService(session, default_region, acd), urls)

    def begin(self, call: Interaction, event: dict[str, Any] | None = None) -> Turn:
        segment = call.customer.segment if call.customer is not None else None
        ivr, turn = self.engine.start(
            call.call_sid, caller=call.from_number, customer_id=call.customer_id, segment=segment
        )
        call.ivr_flow, call.ivr_flow_version = self.flow.name, self.flow.version
        self._keep(call, ivr, turn, event)
        self._write(call, ivr, turn)
        return turn

    def answer(
        self,
        call: Interaction,
        step: int,
        *,
        duplicate: bool,
        digits: str | None = None,
        speech: str | None = None,
        dial_status: str | None = None,
        recording_url: str | None = None,
        recording_duration: int | None = None,
    ) -> Turn:
        """The caller answered step `step` on a webhook that writes the call anyway (its first,
        a status change, a recording): the turn and everything pending go to the store now.
        Anything but the current step changes nothing."""
        ivr = self.store.load(call.call_sid)
        if ivr is None or ivr.flow != self.flow.name:
            return self.begin(call)  # unknown or expired session: start again at the root
        if duplicate or step != ivr.step:
            return self.engine.reprompt(ivr)
        turn = self.engine.advance(
            ivr,
            digits=digits,
            speech=speech,
            dial_status=dial_status,
            recording_url=recording_url,
            recording_duration=recording_duration,
        )
        self._keep(call, ivr, turn, None)
        self._write(call, ivr, turn)
        return turn

    def answer_live(
        self, event: CallEvent, step: int, delivery: dict[str, Any], load_call: Callable[[], Interaction]
    ) -> Answered | None:
        """A menu answer from a caller in the IVR, from Redis alone: the delivery deduplicated by
        the session's seen set, the turn kept in the pending list, the store neither read nor
        written unless the caller leaves the IVR or the flow itself wrote (a callback booked).

        None when Redis cannot decide: no session (an unknown call, an expired session), a caller
        who already left the IVR, or an answer that moves the call's status: the caller takes the
        store's path (`answer`). `delivery` is the event log row, stored with the path."""
        fresh, ivr = self.store.claim_and_load(event.call_sid, delivery["dedupe_key"])
        if ivr is None or ivr.flow != self.flow.name or ivr.left or interactions.moves_status(ivr.status, event):
            return None
        if not fresh or step != ivr.step:
            return Answered(self.engine.reprompt(ivr), None)
        outcome = ivr.outcome
        turn = self.engine.advance(ivr, digits=event.digits, speech=event.speech_result)
        if turn.exit is None and turn.handoff is None and ivr.outcome == outcome:
            self._keep(None, ivr, turn, delivery)
            return Answered(turn, None)
        call = load_call()
        self._keep(call, ivr, turn, delivery)
        self._write(call, ivr, turn)
        return Answered(turn, call)

    def _keep(self, call: Interaction | None, ivr: IvrSession, turn: Turn, delivery: dict[str, Any] | None) -> None:
        """Save the session and append this turn's path (and delivery) to the pending list."""
        if turn.csat is not None:
            ivr.csat = turn.csat
        if call is not None:
            ivr.status = call.status
            ivr.left = ivr.left or bool(turn.exit) or call.queued_at is not None or call.is_ended
        pending: dict[str, Any] = {"path": [entry.as_dict() for entry in turn.visited]}
        if delivery is not None:
            pending["event"] = {**delivery, "received_at": delivery["received_at"].isoformat()}
        self.store.save(ivr, pending)

    def _write(self, call: Interaction, ivr: IvrSession, turn: Turn) -> None:
        write_pending(self.session, self.store, call, ivr)
        if turn.exit and call.ivr_exit is None:
            call.ivr_exit = turn.exit
        if turn.handoff is not None:
            call.intent = turn.handoff.intent
            call.priority = turn.handoff.priority


_EVENT_FIELDS = ("dedupe_key", "kind", "call_status", "params")


def write_pending(session: Session, store: SessionStore, call: Interaction, ivr: IvrSession | None = None) -> None:
    """Write the caller's pending IVR turns onto their interaction (path, variables, language,
    survey score, and the deliveries into the event log).

    The pending list is trimmed only once this transaction commits: if the store fails, the turns
    stay in Redis for the next write (the event log skips deliveries it already has)."""
    if ivr is None:
        ivr = store.load(call.call_sid)
    turns = store.pending(call.call_sid)
    path = [entry for turn in turns for entry in turn.get("path", ()) if isinstance(entry, dict)]
    if path:
        call.ivr_path = [*(call.ivr_path or []), *path]
    if ivr is not None:
        call.ivr_variables = ivr.public_variables()
        call.language = ivr.language
        if ivr.csat is not None:
            call.csat = ivr.csat
    events = []
    for turn in turns:
        row = turn.get("event")
        if isinstance(row, dict):
            try:
                events.append(
                    {**{k: row[k] for k in _EVENT_FIELDS}, "received_at": datetime.fromisoformat(row["received_at"])}
                )
            except (KeyError, TypeError, ValueError):
                continue  # an unreadable entry is skipped, never the whole path
    if events:
        session.flush()  # the interaction row exists before its events reference it
        interactions.log_events(session, call.id, events)
    if turns:
        sid, count = call.call_sid, len(turns)
        event.listen(session, "after_commit", lambda _s: store.written(sid, count), once=True)


def leave(store: SessionStore, call: Interaction) -> None:
    """The call ended: its session stops answering menu steps from Redis (a late webhook goes to
    the store, which says the call is over)."""
    ivr = store.load(call.call_sid)
    if ivr is not None and not ivr.left:
        ivr.left, ivr.status = True, call.status
        store.save(ivr)


FlowSource = Callable[[str], Flow]
