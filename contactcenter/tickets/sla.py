"""SLA policies and the per-ticket SLA clocks derived from each ticket's audit trail.

Policies
    An `SlaPolicy` has conditions (priorities, queues, customer segments, channels; an empty list
    matches anything) and targets per metric and priority, measured on its business calendar or,
    without one, in calendar hours. The first active policy in (position, id) order whose
    conditions all match applies.

Clocks (see `sla_clock` for the arithmetic)
    * first response: starts when the ticket is created; stopped by the agent's first response
      (a public agent comment or an answered call linked to the ticket).
    * next reply: a new clock (cycle 1, 2, ...) starts whenever the customer writes (public
      customer comment) after the first response, unless one is already waiting; stopped by the
      next agent response.
    * resolution: starts when the ticket is created; reopening a solved ticket resumes it with
      the time already counted.
    Every clock pauses while the ticket is pending or on hold and resumes when it is open again;
    solving (and closing, merging) stops them all.

Outcomes
    A clock is *breached* once its elapsed time reached its target, and that is final: nothing
    that happens afterwards (a reply, a raised priority, another policy, no policy at all) turns
    it into a met one. It is *met* when an agent response (or, for resolution, solving) stopped it
    before its target. A first-response clock that solving, closing or merging stopped before any
    agent response is *unanswered*: nobody responded, so it is not met; it is breached if its
    target had passed by then, otherwise it is left out of the hit rate and counted on its own
    (`TicketSla.unanswered`, the "unanswered" column of `report sla`, status "unanswered" in the
    API). A reply after a reopen does not change that: the first-response clock stopped for good.

Derivation
    `recompute` replays the ticket's trail (`TicketEvent`s in time order) into clock states and
    writes them to `TicketSla` rows (one per clock, with the deadline indexed), so the rows are
    always a function of the trail and the current policy definitions. The policy is chosen
    again at every change of priority, queue, customer or channel; the clocks still running and
    not yet breached then take the new targets (and policy), applied from their original start
    (a priority raised mid-way can breach at once). Breached clocks keep the policy and target
    they breached, whatever the change (the escalation that raises the priority on breach
    included); stopped clocks keep the target they were judged by. The customer segment used is
    the customer's current one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.calendars import CALENDAR_HOURS, WEEKDAYS, BusinessCalendar, NoBusinessHoursError
from contactcenter.contacts.customers import SEGMENTS
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets.models import (
    CHANNELS,
    BusinessCalendarRecord,
    SlaPolicy,
    SlaState,
    Ticket,
    TicketEvent,
    TicketPriority,
    TicketSla,
)
from contactcenter.tickets.sla_clock import SlaClockState, SlaEvent, SlaEventKind, SlaMetric, SlaStatus, replay

METRICS = tuple(m.value for m in SlaMetric)
PRIORITIES = tuple(p.value for p in TicketPriority)
ANY_PRIORITY = "*"
PAUSING_STATUSES = frozenset({"pending", "on_hold"})
STOPPING_STATUSES = frozenset({"solved", "closed", "merged"})
POLICY_FIELDS = ("priority", "queue_id", "customer_id", "channel")
MAX_TARGET_S = 366 * 24 * 3600


class SlaConfigError(DomainError, ValueError):
    """A policy or calendar cannot be saved as given; the message says which part is wrong."""

    kind: Kind = "unprocessable"
    code = "validation_failed"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        # The input the message is about ("name", "position", "targets.resolution.high", …), so a
        # form can show it next to that input; None when it is about the whole thing.
        self.field = field


# -- calendars ----------------------------------------------------------------------------------


def create_calendar(session: Session, name: str, definition: Mapping[str, Any]) -> BusinessCalendarRecord:
    record = BusinessCalendarRecord(
        name=_name(session, BusinessCalendarRecord, name), definition=_calendar_data(definition)
    )
    session.add(record)
    session.flush()
    return record


def update_calendar(
    session: Session,
    record: BusinessCalendarRecord,
    *,
    name: str | None = None,
    definition: Mapping[str, Any] | None = None,
) -> BusinessCalendarRecord:
    if name is not None:
        record.name = _name(session, BusinessCalendarRecord, name, record.id)
    if definition is not None:
        record.definition = _calendar_data(definition)
    session.flush()
    return record


def _calendar_data(definition: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return BusinessCalendar.from_dict(definition).to_dict()
    except (TypeError, ValueError) as exc:
        raise SlaConfigError(f"calendar: {exc}") from exc


CALENDAR_PARTS = ("time_zone", *WEEKDAYS, "holidays")


def calendar_problems(definition: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with each part of a calendar definition, keyed by part (`CALENDAR_PARTS`:
    the time zone, each weekday's hours, the holidays); empty when it can be saved.

    Each part is checked on its own with the same rules as `BusinessCalendar.from_dict`, so an
    editor can show every problem next to its input at once instead of the first one only.
    """
    problems: dict[str, str] = {}
    checks: list[tuple[str, dict[str, Any]]] = [("time_zone", {"time_zone": definition.get("time_zone")})]
    hours = definition.get("hours") or {}
    if isinstance(hours, Mapping):
        checks += [(day, {"time_zone": "UTC", "hours": {day: hours[day]}}) for day in WEEKDAYS if day in hours]
    checks.append(("holidays", {"time_zone": "UTC", "holidays": definition.get("holidays") or []}))
    for part, data in checks:
        try:
            BusinessCalendar.from_dict(data)
        except (TypeError, ValueError) as exc:
            problems[part] = str(exc).removeprefix(f"{part}: ")
    if not problems:
        try:
            BusinessCalendar.from_dict(definition)
        except (TypeError, ValueError) as exc:
            problems["time_zone"] = str(exc)
    return problems


# -- policies -----------------------------------------------------------------------------------

POLICY_OPTIONS = (
    "position",
    "active",
    "priorities",
    "queue_ids",
    "segments",
    "channels",
    "calendar_id",
    "targets",
    "warn_before_s",
    "on_breach_raise_priority",
    "on_breach_assignee_id",
    "on_breach_queue_id",
)


def create_policy(session: Session, name: str, *, targets: Mapping[str, Any], **options: Any) -> SlaPolicy:
    """A new policy; options are the `SlaPolicy` fields in `POLICY_OPTIONS`."""
    policy = SlaPolicy(name=_name(session, SlaPolicy, name))
    _apply_policy(session, policy, {"targets": targets, **options})
    session.add(policy)
    session.flush()
    return policy


def update_policy(session: Session, policy: SlaPolicy, changes: Mapping[str, Any]) -> SlaPolicy:
    """Change a policy. Tickets pick the change up at their next recompute (`recompute_open`)."""
    changes = dict(changes)
    if "name" in changes:
        policy.name = _name(session, SlaPolicy, changes.pop("name"), policy.id)
    _apply_policy(session, policy, changes)
    session.flush()
    return policy


def _apply_policy(session: Session, policy: SlaPolicy, values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(POLICY_OPTIONS)
    if unknown:
        raise SlaConfigError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    if "targets" in values:
        policy.targets = normalize_targets(values["targets"])
    if "priorities" in values:
        policy.priorities = _choices(values["priorities"], PRIORITIES, "priorities")
    if "segments" in values:
        policy.segments = _choices(values["segments"], SEGMENTS, "segments")
    if "channels" in values:
        policy.channels = _choices(values["channels"], CHANNELS, "channels")
    if "queue_ids" in values:
        ids = _ids(values["queue_ids"], "queue_ids")
        for queue_id in ids:
            _exists(session, Queue, queue_id, "queue", "queue_ids")
        policy.queue_ids = ids
    if "position" in values:
        policy.position = _int(values["position"], "position", 0, 1_000_000)
    if "active" in values:
        policy.active = _bool(values["active"], "active")
    if "warn_before_s" in values:
        policy.warn_before_s = _int(values["warn_before_s"], "warn_before_s", 0, MAX_TARGET_S)
    if "on_breach_raise_priority" in values:
        policy.on_breach_raise_priority = _bool(values["on_breach_raise_priority"], "on_breach_raise_priority")
    if "calendar_id" in values:
        calendar_id = values["calendar_id"]
        policy.calendar_record = (
            None
            if calendar_id is None
            else _exists(
                session,
                BusinessCalendarRecord,
                _int(calendar_id, "calendar_id", 1, 2**31 - 1),
                "calendar",
                "calendar_id",
            )
        )
    for key, model, label in (("on_breach_assignee_id", User, "user"), ("on_breach_queue_id", Queue, "queue")):
        if key in values:
            ref = values[key]
            if ref is not None:
                record = _exists(session, model, _int(ref, key, 1, 2**31 - 1), label, key)
                if model is User and not record.active:
                    raise SlaConfigError(f"user {ref} is not active", field=key)
            setattr(policy, key, ref)
    if not policy.targets:
        raise SlaConfigError("a policy needs at least one target", field="targets")


def normalize_targets(raw: Any) -> dict[str, dict[str, int]]:
    """{metric: seconds} or {metric: {priority or "*": seconds}} → the latter form."""
    if not isinstance(raw, Mapping) or not raw:
        raise SlaConfigError(f"targets must map metrics ({', '.join(METRICS)}) to seconds", field="targets")
    out: dict[str, dict[str, int]] = {}
    for metric, value in raw.items():
        if metric not in METRICS:
            raise SlaConfigError(
                f"unknown SLA metric {metric!r} (expected one of {', '.join(METRICS)})", field="targets"
            )
        per_priority = value if isinstance(value, Mapping) else {ANY_PRIORITY: value}
        if not per_priority:
            raise SlaConfigError(f"targets.{metric} is empty", field=f"targets.{metric}")
        normalized: dict[str, int] = {}
        for priority, seconds in per_priority.items():
            if priority != ANY_PRIORITY and priority not in PRIORITIES:
                raise SlaConfigError(f"targets.{metric}: unknown priority {priority!r}", field=f"targets.{metric}")
            normalized[priority] = _int(seconds, f"targets.{metric}.{priority}", 1, MAX_TARGET_S)
        out[metric] = normalized
    return out


def active_policies(session: Session) -> list[SlaPolicy]:
    return list(
        session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True)).order_by(SlaPolicy.position, SlaPolicy.id))
    )


@dataclass(frozen=True)
class TicketFacts:
    """What policy conditions look at."""

    priority: str
    queue_id: int | None
    segment: str | None
    channel: str


def policy_matches(policy: SlaPolicy, facts: TicketFacts) -> bool:
    return (
        (not policy.priorities or facts.priority in policy.priorities)
        and (not policy.queue_ids or facts.queue_id in policy.queue_ids)
        and (not policy.segments or facts.segment in policy.segments)
        and (not policy.channels or facts.channel in policy.channels)
    )


def choose_policy(policies: Sequence[SlaPolicy], facts: TicketFacts) -> SlaPolicy | None:
    return next((p for p in policies if policy_matches(p, facts)), None)


def target_for(policy: SlaPolicy | None, metric: str, priority: str) -> int | None:
    if policy is None:
        return None
    return target_in(policy.targets or {}, metric, priority)


def target_in(targets: Mapping[str, Any], metric: str, priority: str) -> int | None:
    """The target seconds for `metric` at `priority` in normalized targets (`normalize_targets`)."""
    per_priority = targets.get(metric) or {}
    value = per_priority.get(priority, per_priority.get(ANY_PRIORITY))
    return None if value is None else int(value)


# -- preview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueTime:
    """When one clock of a ticket would be due: what an SLA editor shows before saving."""

    metric: str
    target_s: int | None  # None: no target for this metric at that priority, so never due
    due: datetime | None
    business_hours: bool


def preview_due(
    targets: Mapping[str, Any],
    calendar: BusinessCalendar | None,
    created_at: datetime,
    priority: str,
) -> list[DueTime]:
    """The due time of each clock of a ticket created at `created_at` with `priority`, under
    `targets` (normalized) measured on `calendar` (None: calendar hours, 24x7).

    The clocks are built by `replay` exactly as a real ticket's are, so the preview and the
    ticket agree; next_reply is the clock a customer message at `created_at` would start.
    Raises NoBusinessHoursError when the calendar never opens.
    """
    if priority not in PRIORITIES:
        raise SlaConfigError(f"unknown priority {priority!r}", field="priority")
    measured_on = CALENDAR_HOURS if calendar is None else calendar
    if calendar is not None and not calendar.has_hours:
        raise NoBusinessHoursError("the calendar never opens, so nothing would ever be due")
    out: list[DueTime] = []
    for metric in METRICS:
        target = target_in(targets, metric, priority)
        due = None
        if target is not None:
            state = replay([(created_at, SlaEvent(SlaEventKind.START, target))], measured_on, metric=SlaMetric(metric))
            due = state.deadline
        out.append(DueTime(metric, target, due, calendar is not None))
    return out


# -- derivation ---------------------------------------------------------------------------------


@dataclass
class _Track:
    """One clock's SLA event trail, built while walking the ticket trail."""

    metric: str
    cycle: int
    policy: SlaPolicy | None
    target: int | None
    events: list[tuple[datetime, SlaEvent]] = field(default_factory=list)
    stopped: bool = False
    paused: bool = False
    # First response stopped by solving/closing/merging before any agent response.
    unanswered: bool = False

    def _add(self, at: datetime, kind: SlaEventKind, target: float | None = None) -> None:
        self.events.append((at, SlaEvent(kind, target)))

    def pause(self, at: datetime) -> None:
        if not self.stopped and not self.paused:
            self._add(at, SlaEventKind.PAUSE)
            self.paused = True

    def resume(self, at: datetime) -> None:
        if not self.stopped and self.paused:
            self._add(at, SlaEventKind.RESUME)
            self.paused = False

    def stop(self, at: datetime, *, answered: bool = True) -> None:
        if not self.stopped:
            self._add(at, SlaEventKind.STOP)
            self.stopped = True
            self.unanswered = not answered

    def reopen(self, at: datetime) -> None:
        if self.stopped and self.metric == SlaMetric.RESOLUTION.value:
            self._add(at, SlaEventKind.REOPEN)
            self.stopped = self.paused = False

    def state(self, calendar_of: Callable[[SlaPolicy], BusinessCalendar]) -> SlaClockState:
        calendar = CALENDAR_HOURS if self.policy is None else calendar_of(self.policy)
        return replay(self.events, calendar, metric=SlaMetric(self.metric))

    def retarget(
        self,
        at: datetime,
        policy: SlaPolicy | None,
        target: int | None,
        calendar_of: Callable[[SlaPolicy], BusinessCalendar],
    ) -> None:
        """Take the policy and target now in force, unless stopped or already breached at `at`
        (a breach is final: see the module's docstring)."""
        if self.stopped or (self.target is not None and self.state(calendar_of).breached_by(at)):
            return
        self.policy = policy
        if target != self.target:
            self._add(at, SlaEventKind.RETARGET, target)
            self.target = target


@dataclass(frozen=True)
class DerivedClock:
    metric: str
    cycle: int
    policy: SlaPolicy | None
    state: SlaClockState
    # SLA bookkeeping read back from the trail: the deadline last warned about, the escalation.
    warned_for: datetime | None = None
    escalated_at: datetime | None = None
    # A first response the ticket's solving stopped before any agent response.
    unanswered: bool = False

    @property
    def target_s(self) -> int | None:
        return None if self.state.target_seconds is None else int(self.state.target_seconds)


def derive(
    events: Iterable[TicketEvent],
    policies: Sequence[SlaPolicy],
    *,
    segment_of: Callable[[int | None], str | None],
    default_channel: str = "phone",
    calendar_of: Callable[[SlaPolicy], BusinessCalendar] | None = None,
) -> list[DerivedClock]:
    """The ticket's clocks, replayed from its trail (any order; sorted by time, then id)."""
    trail = sorted(events, key=lambda e: (e.at, e.id or 0))
    calendar_of = calendar_of or (lambda policy: policy.calendar())
    facts: dict[str, Any] = {}
    status = "new"
    policy: SlaPolicy | None = None
    first: _Track | None = None
    resolution: _Track | None = None
    replies: list[_Track] = []
    warned: dict[tuple[str, int], datetime] = {}
    escalated: dict[tuple[str, int], datetime] = {}

    def current_facts() -> TicketFacts:
        return TicketFacts(facts["priority"], facts["queue_id"], segment_of(facts["customer_id"]), facts["channel"])

    def tracks() -> list[_Track]:
        return [t for t in (first, resolution, *replies) if t is not None]

    def respond(at: datetime) -> None:
        assert first is not None
        first.stop(at)
        if replies:
            replies[-1].stop(at)

    for event in trail:
        at, after = event.at, event.after or {}
        if event.kind == "created":
            if first is not None:
                continue
            facts = {
                "priority": after.get("priority", "normal"),
                "queue_id": after.get("queue_id"),
                "customer_id": after.get("customer_id"),
                "channel": after.get("channel", default_channel),
            }
            status = after.get("status", "new")
            policy = choose_policy(policies, current_facts())
            first, resolution = (
                _Track(metric, 0, policy, target_for(policy, metric, facts["priority"]))
                for metric in (SlaMetric.FIRST_RESPONSE.value, SlaMetric.RESOLUTION.value)
            )
            for track in (first, resolution):
                track._add(at, SlaEventKind.START, track.target)
            continue
        if first is None or resolution is None:
            continue  # a trail must begin with "created"; anything before it is not ours to judge
        if event.kind == "updated" and event.field in POLICY_FIELDS:
            facts[event.field] = after.get(event.field)
            policy = choose_policy(policies, current_facts())
            for track in tracks():
                track.retarget(at, policy, target_for(policy, track.metric, facts["priority"]), calendar_of)
        elif event.kind == "status":
            new = after.get("status", status)
            if new in PAUSING_STATUSES:
                for track in tracks():
                    track.pause(at)
            elif new in STOPPING_STATUSES:
                first.stop(at, answered=False)  # a no-op once an agent responded
                for track in tracks():
                    track.stop(at)
            elif new == "open":
                if status == "solved":
                    resolution.reopen(at)
                    resolution.retarget(
                        at, policy, target_for(policy, resolution.metric, facts["priority"]), calendar_of
                    )
                for track in tracks():
                    track.resume(at)
            status = new
        elif event.kind == "comment" and after.get("public"):
            if after.get("author") == "agent":
                respond(at)
            elif after.get("author") == "customer" and status not in STOPPING_STATUSES:
                if first.stopped and (not replies or replies[-1].stopped):
                    metric = SlaMetric.NEXT_REPLY.value
                    track = _Track(metric, len(replies) + 1, policy, target_for(policy, metric, facts["priority"]))
                    track._add(at, SlaEventKind.START, track.target)
                    if status in PAUSING_STATUSES:
                        track.pause(at)
                    replies.append(track)
        elif event.kind == "linked_call" and after.get("answered"):
            respond(at)
        elif event.kind in ("sla_warning", "sla_breached"):
            key = (str(after.get("metric")), int(after.get("cycle", 0)))
            if event.kind == "sla_warning" and after.get("deadline"):
                warned[key] = datetime.fromisoformat(after["deadline"])
            elif event.kind == "sla_breached":
                escalated.setdefault(key, at)

    derived = []
    for track in tracks():
        state = track.state(calendar_of)
        key = (track.metric, track.cycle)
        unanswered = track.unanswered and state.stopped_at is not None and not state.breached_by(state.stopped_at)
        derived.append(
            DerivedClock(
                track.metric, track.cycle, track.policy, state, warned.get(key), escalated.get(key), unanswered
            )
        )
    return derived


def derive_for(session: Session, ticket: Ticket) -> list[DerivedClock]:
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
    calendars: dict[int | None, BusinessCalendar] = {}

    def calendar_of(policy: SlaPolicy) -> BusinessCalendar:
        if policy.calendar_id not in calendars:
            calendars[policy.calendar_id] = policy.calendar()
        return calendars[policy.calendar_id]

    def segment_of(customer_id: int | None) -> str | None:
        customer = None if customer_id is None else session.get(Customer, customer_id)
        return None if customer is None else customer.segment

    return derive(
        events, active_policies(session), segment_of=segment_of, default_channel=ticket.channel, calendar_of=calendar_of
    )


def recompute(session: Session, ticket: Ticket, *, now: datetime | None = None) -> list[TicketSla]:
    """Rewrite the ticket's `TicketSla` rows from its trail; clocks without a target get none."""
    now = now or clock.now()
    session.flush()
    existing = {
        (row.metric, row.cycle): row
        for row in session.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket.id))
    }
    rows: list[TicketSla] = []
    for derived in derive_for(session, ticket):
        if derived.target_s is None:
            continue
        row = existing.pop((derived.metric, derived.cycle), None)
        if row is None:
            row = TicketSla(ticket_id=ticket.id, metric=derived.metric, cycle=derived.cycle)
            session.add(row)
        _fill(row, derived, now)
        rows.append(row)
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    _keep_due(session, ticket, rows)
    return rows


def _keep_due(session: Session, ticket: Ticket, rows: list[TicketSla]) -> None:
    """Store the soonest deadline of the clocks still counting on the ticket (`Ticket.sla_due_at`).

    Written with its own UPDATE that keeps `updated_at`: a clock recomputed (a policy changed, time
    passed) is not a change of the ticket people would see at the top of their views."""
    running = [r.deadline_at for r in rows if r.state == SlaState.RUNNING.value and r.deadline_at is not None]
    due = min(running) if running else None
    if due == ticket.sla_due_at:
        return
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(sla_due_at=due, updated_at=Ticket.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(ticket, "sla_due_at", due)


def _fill(row: TicketSla, derived: DerivedClock, now: datetime) -> None:
    state, policy = derived.state, derived.policy
    row.policy_id = None if policy is None else policy.id
    row.target_s = derived.target_s or 0
    row.business_hours = policy is not None and policy.calendar_id is not None
    row.state = (
        SlaState.STOPPED.value
        if state.is_stopped
        else SlaState.PAUSED.value
        if state.is_paused
        else SlaState.RUNNING.value
    )
    row.started_at = state.started_at
    row.stopped_at = state.stopped_at
    row.elapsed_s = state.elapsed_seconds(max(now, state.started_at))
    row.deadline_at = state.deadline
    warn_before = 0 if policy is None else policy.warn_before_s
    row.warn_at = (
        None if state.deadline is None or state.is_stopped else state.deadline - timedelta(seconds=warn_before)
    )
    row.warned_for = derived.warned_for
    row.escalated_at = derived.escalated_at
    row.unanswered = derived.unanswered
    row.computed_at = now


def recompute_for_customer(session: Session, customer: Customer) -> None:
    """The customer's segment changed: the clocks of their open tickets follow the policy that now applies."""
    for ticket in session.scalars(
        select(Ticket).where(Ticket.customer_id == customer.id, Ticket.status.not_in(("closed", "merged")))
    ):
        recompute(session, ticket)


def recompute_open(session: Session, *, batch: int = 500, now: datetime | None = None) -> int:
    """Recompute every ticket not closed or merged (after a policy or calendar change)."""
    done, last_id = 0, 0
    while True:
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.status.not_in(("closed", "merged")), Ticket.id > last_id)
            .order_by(Ticket.id)
            .limit(batch)
        ).all()
        if not tickets:
            return done
        for ticket in tickets:
            recompute(session, ticket, now=now)
        done += len(tickets)
        last_id = tickets[-1].id


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    """A ticket's SLA clock as of `at`."""

    metric: str
    cycle: int
    policy_id: int | None
    target_s: int
    business_hours: bool
    status: str  # running, paused, met, breached, unanswered (see the module's docstring)
    started_at: datetime
    stopped_at: datetime | None
    deadline: datetime | None
    elapsed_s: float
    remaining_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "cycle": self.cycle,
            "policy_id": self.policy_id,
            "target_s": self.target_s,
            "business_hours": self.business_hours,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "stopped_at": None if self.stopped_at is None else self.stopped_at.isoformat(),
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            "elapsed_s": self.elapsed_s,
            "remaining_s": self.remaining_s,
        }


def clocks(session: Session, ticket: Ticket, at: datetime | None = None) -> list[ClockView]:
    """The ticket's clocks with live elapsed and remaining time (only clocks with a target)."""
    at = at or clock.now()
    views = []
    for derived in derive_for(session, ticket):
        state = derived.state
        if derived.target_s is None:
            continue
        status = state.status(max(at, state.started_at))
        if status is SlaStatus.STOPPED or status is SlaStatus.MET:
            status = SlaStatus.UNANSWERED if derived.unanswered else SlaStatus.MET
        views.append(
            ClockView(
                metric=derived.metric,
                cycle=derived.cycle,
                policy_id=None if derived.policy is None else derived.policy.id,
                target_s=derived.target_s,
                business_hours=derived.policy is not None and derived.policy.calendar_id is not None,
                status=status.value,
                started_at=state.started_at,
                stopped_at=state.stopped_at,
                deadline=state.deadline,
                elapsed_s=state.elapsed_seconds(max(at, state.started_at)),
                remaining_s=state.remaining_seconds(max(at, state.started_at)) or 0.0,
            )
        )
    return views


def due_before(
    session: Session,
    until: datetime,
    *,
    now: datetime | None = None,
    include_breached: bool = False,
    ticket_filter: Any = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[TicketSla]:
    """Clocks still counting whose deadline falls in (now, until] (from the start of time with
    `include_breached`), soonest first; an indexed range scan on `deadline_at`.

    `after` is the (deadline, id) of the last row of the previous page; `ticket_filter` a SQL
    condition on `Ticket` (an agent's scope).
    """
    now = now or clock.now()
    query = select(TicketSla).where(TicketSla.deadline_at <= until, TicketSla.state != SlaState.STOPPED.value)
    if not include_breached:
        query = query.where(TicketSla.deadline_at > now)
    if ticket_filter is not None:
        query = query.join(Ticket, Ticket.id == TicketSla.ticket_id).where(ticket_filter)
    if after is not None:
        deadline, row_id = after
        query = query.where(
            (TicketSla.deadline_at > deadline) | ((TicketSla.deadline_at == deadline) & (TicketSla.id > row_id))
        )
    return list(session.scalars(query.order_by(TicketSla.deadline_at, TicketSla.id).limit(limit)))


def rows_for(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[TicketSla]]:
    ids = list(ticket_ids)
    out: dict[int, list[TicketSla]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(
            select(TicketSla).where(TicketSla.ticket_id.in_(ids)).order_by(TicketSla.ticket_id, TicketSla.id)
        ):
            out[row.ticket_id].append(row)
    return out


# -- validation helpers -------------------------------------------------------------------------


def _name(session: Session, model: type, raw: Any, own_id: int | None = None) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > 80:
        raise SlaConfigError("name must be 1 to 80 characters", field="name")
    clash = session.scalar(select(model.id).where(model.name == name))  # type: ignore[attr-defined]
    if clash is not None and clash != own_id:
        raise SlaConfigError(f"name {name!r} is taken", field="name")
    return name


def _choices(raw: Any, allowed: Sequence[str], label: str) -> list[str]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise SlaConfigError(f"{label} must be a list", field=label)
    values = list(raw)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise SlaConfigError(
            f"{label}: unknown value(s) {', '.join(map(repr, bad))} (allowed: {', '.join(allowed)})", field=label
        )
    return sorted(set(values), key=list(allowed).index)


def _ids(raw: Any, label: str) -> list[int]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise SlaConfigError(f"{label} must be a list of ids", field=label)
    return sorted({_int(v, label, 1, 2**31 - 1) for v in raw})


def _int(raw: Any, label: str, low: int, high: int) -> int:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, (int, float))
        or (isinstance(raw, float) and not math.isfinite(raw))
    ):
        raise SlaConfigError(f"{label} must be a whole number", field=label)
    if int(raw) != raw or not low <= int(raw) <= high:
        raise SlaConfigError(f"{label} must be a whole number from {low} to {high}", field=label)
    return int(raw)


def _bool(raw: Any, label: str) -> bool:
    if not isinstance(raw, bool):
        raise SlaConfigError(f"{label} must be true or false", field=label)
    return raw


def _exists(session: Session, model: type, ident: int, label: str, field: str | None = None) -> Any:
    record = session.get(model, ident)
    if record is None:
        raise SlaConfigError(f"{label} {ident} does not exist", field=field)
    return record
