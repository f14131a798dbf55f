"""Monitor, whisper (coach) and barge: a supervisor joins an agent's call as a conference participant.

Every call lives in a conference named for the caller's leg (`call-<call sid>`), so supervision is
only participant operations through the telephony port:

* monitor — the supervisor's leg joins muted: they hear both sides, nobody hears them;
* whisper — the leg coaches the agent's leg (`coaching` with `callSidToCoach`): only the agent
  hears the supervisor;
* barge   — the leg is an ordinary unmuted participant: everyone hears everyone.

The supervisor's audio is reached like an agent's, through their `contact_uri` (a Voice SDK
client or a phone number). Switching mode on a live leg updates that participant in place, so
the supervisor's phone does not ring again. Each spell is written to the `supervisions` trail in
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import CONNECTED, ON_CALL
from contactcenter.acd.realtime import RealtimeACD
from contactcenter.acd.services import CALLBACK_PREFIX, CHAT_PREFIX, agent_label, conference_name
from contactcenter.calls.models import MODES, Supervision
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import CarrierRef, Telephony, TelephonyError


class SupervisionError(DomainError, ValueError):
    """Supervision cannot happen as asked; `code` says why, `kind` what sort of refusal it is."""

    kind: Kind = "conflict"

    def __init__(self, code: str, message: str, kind: Kind = "conflict") -> None:
        super().__init__(message, code=code, kind=kind)


@dataclass(frozen=True)
class SupervisionView:
    supervision_id: int
    call_sid: str
    agent_id: int | None
    mode: str
    leg_sid: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.supervision_id,
            "call_sid": self.call_sid,
            "agent_id": self.agent_id,
            "mode": self.mode,
            "leg_sid": self.leg_sid,
        }


def _view(row: Supervision) -> SupervisionView:
    return SupervisionView(row.id, row.call_sid, row.agent_id, row.mode, row.leg_sid)


class SupervisionService:
    def __init__(
        self,
        session: Session,
        acd: RealtimeACD,
        telephony: Telephony | Callable[[], Telephony],
        *,
        center_number: str = "",
    ) -> None:
        self.session = session
        self.acd = acd
        self._carrier_ref = CarrierRef(telephony)
        self.center_number = center_number

    @property
    def telephony(self) -> Telephony:
        """The carrier, built on first use: refusing a request never needs one."""
        return self._carrier_ref.require()

    # -- reading -------------------------------------------------------------------------------
    def _open_spell(self, supervisor_id: int) -> tuple[Supervision | None, bool]:
        """The supervisor's open spell and whether its call is still connected."""
        row = self.session.scalar(
            select(Supervision)
            .where(Supervision.supervisor_id == supervisor_id, Supervision.ended_at.is_(None))
            .order_by(Supervision.id.desc())
            .limit(1)
        )
        if row is None:
            return None, False
        call = self.acd.call_snapshot(row.call_sid)
        return row, call is not None and call.state == CONNECTED

    def live_spell(self, supervisor_id: int) -> SupervisionView | None:
        """What the supervisor is listening to now, if anything (reads only)."""
        row, live = self._open_spell(supervisor_id)
        return _view(row) if row is not None and live else None

    def current(self, supervisor_id: int) -> Supervision | None:
        """The supervisor's open spell, if any; one whose call has ended is closed on the way
        (the conference, and the supervisor's leg with it, ended with the call)."""
        row, live = self._open_spell(supervisor_id)
        if row is not None and not live:
            row.ended_at = clock.now()
            self.session.flush()
            return None
        return row

    def agent_leg(self, call_sid: str, agent_id: int | None = None) -> str | None:
        """The agent's leg in the call's conference (Twilio coaches by call SID, not label): the
        participant labelled for the agent; failing a label, the one that is neither the caller
        nor a supervisor's leg (nor coaching anyone)."""
        supervisor_legs = set(
            self.session.scalars(
                select(Supervision.leg_sid).where(Supervision.call_sid == call_sid, Supervision.leg_sid.is_not(None))
            )
        )
        try:
            participants = self.telephony.list_participants(conference_name(call_sid))
        except TelephonyError:
            return None
        if agent_id is not None:
            wanted = agent_label(agent_id)
            for p in participants:
                if p.label == wanted and p.call_sid:
                    return p.call_sid
        for p in participants:
            if p.call_sid != call_sid and p.call_sid not in supervisor_legs and not p.coaching:
                return p.call_sid
        return None

    # -- acting --------------------------------------------------------------------------------
    def supervise(self, supervisor: User, agent_id: int, mode: str) -> SupervisionView:
        """Join (or switch mode on) the call the agent is on now."""
        if mode not in MODES:
            raise SupervisionError("bad_mode", "mode must be one of " + ", ".join(MODES), "invalid")
        if supervisor.role not in (Role.SUPERVISOR.value, Role.ADMIN.value):
            raise SupervisionError("forbidden", "only supervisors supervise calls", "forbidden")
        agent = self.session.get(User, agent_id)
        if agent is None or agent.role != Role.AGENT.value:
            raise SupervisionError("unknown_agent", "no such agent", "not_found")
        snapshot = self.acd.agent_snapshot(str(agent_id))
        if snapshot is None or snapshot.state != ON_CALL or not snapshot.call_sid:
            raise SupervisionError("not_on_call", "the agent is not on a call")
        call_sid = snapshot.call_sid
        if call_sid.startswith(CALLBACK_PREFIX):
            raise SupervisionError("not_supervisable", "call-backs cannot be supervised yet")
        if call_sid.startswith(CHAT_PREFIX):
            raise SupervisionError("not_supervisable", "web chats cannot be supervised yet")
        conference = conference_name(call_sid)
        coach = None
        if mode == "whisper":
            coach = self.agent_leg(call_sid, agent_id)
            if coach is None:
                raise SupervisionError("agent_leg_unknown", "the agent's audio leg is not in the call yet")

        current = self.current(supervisor.id)
        if current is not None and current.call_sid == call_sid and current.leg_sid:
            if current.mode == mode:
                return _view(current)
            try:
                self.telephony.update_participant(
                    conference,
                    current.leg_sid,
                    muted=(mode == "monitor"),
                    coaching=(mode == "whisper"),
                    coach_call_sid=coach,
                )
            except TelephonyError as exc:
                raise SupervisionError("carrier", f"the carrier refused: {exc}", "dependency_failed") from exc
            now = clock.now()
            current.ended_at = now
            row = Supervision(
                supervisor_id=supervisor.id,
                agent_id=agent_id,
                call_sid=call_sid,
                conference=conference,
                leg_sid=current.leg_sid,
                mode=mode,
                started_at=now,
            )
            self.session.add(row)
            self.session.flush()
            return _view(row)

        if current is not None:
            self._leave(current)
        to = supervisor.contact_uri or f"client:{supervisor.username}"
        call = self.session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
        from_ = (call.to_number if call is not None and call.direction == "inbound" else None) or self.center_number
        if not from_:
            raise SupervisionError("no_caller_id", "no number to call the supervisor from")
        try:
            participant = self.telephony.add_participant(
                conference,
                to,
                from_,
                muted=(mode == "monitor"),
                coach_call_sid=coach,
            )
        except TelephonyError as exc:
            raise SupervisionError("carrier", f"the carrier refused: {exc}", "dependency_failed") from exc
        row = Supervision(
            supervisor_id=supervisor.id,
            agent_id=agent_id,
            call_sid=call_sid,
            conference=conference,
            leg_sid=participant.call_sid or None,
            mode=mode,
            started_at=clock.now(),
        )
        self.session.add(row)
        self.session.flush()
        return _view(row)

    def stop(self, supervisor: User) -> SupervisionView | None:
        """Leave the call being supervised (nothing to do when none is)."""
        current = self.current(supervisor.id)
        if current is None:
            return None
        self._leave(current)
        self.session.flush()
        return _view(current)

    def _leave(self, row: Supervision) -> None:
        if row.leg_sid:
            try:
                self.telephony.remove_participant(row.conference, row.leg_sid)
            except TelephonyError:
                pass  # the call (or the supervisor's leg) already ended: nothing left to remove
        row.ended_at = clock.now()
