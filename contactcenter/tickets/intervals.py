"""Service-level intervals from the store: calls per queue per 15 minutes, agents per interval or
day, and the daily IVR containment and CSAT figures.

Calls
    A call belongs to the queue it waited in and to the interval (or local day) of its
    `queued_at`, cut in the report's time zone. Only inbound calls that reached a queue count.

    * answered — the call has an `answered_at`;
    * abandoned — outcome "abandoned" (the caller hung up while queued); short abandons (the
      store's `short_abandon` flag, default under 5 s) are counted in it and shown apart;
    * flowed out — ended without an answer for another reason (callback, voicemail, ...):
      reported apart, never part of offered;
    * offered = answered + abandoned;
    * answered in T — answered with wait ≤ T, T being the queue's `sl_threshold_s`;
      abandoned in T / after T likewise on the wait until hanging up;
    * ASA — mean wait of answered calls; longest wait — over answered and abandoned calls;
    * AHT — mean of talk + hold + wrap over answered calls that have ended: talk is
      ended_at − answered_at; wrap is the answering agent's wrap_up spell (from the
      AgentStateChange trail, linked by call_sid, else the agent's wrap_up that began within a
      minute of the call's end), lasting until the agent's next state row; hold is 0 because
      the store does not record hold time yet.

    The wait is the stored `wait_s`, or answered_at − queued_at while the call is still going.

Service level (see `FORMULAS`, the name goes into every report)
    offered            answered_in_t / offered
    late-abandons      answered_in_t / (answered + abandoned_after_t)   (short abandons neutral)
    in-t               (answered_in_t + abandoned_in_t) / offered
    Each with the suffix "-no-short" leaves short abandons out of every count first.

Agents
    Each AgentStateChange row lasts until the agent's next row (the last one until the end of the
    window, or now). Time in each state is clipped to the interval or day; logged in = every
    state but offline; occupancy = (on_call + wrap_up) ÷ logged in. Handled calls and AHT are
    those the agent answered, by the interval of `answered_at`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from contactcenter import clock
from contactcenter.acd.models import AgentStateChange, Queue
from contactcenter.acd.service_level import DEFAULT_FORMULA, FORMULAS, SlFormula
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError
from contactcenter.tickets import surveys

INTERVAL = timedelta(minutes=15)
# Minutes per bucket of the sub-day granularities: "interval" is the 15-minute reporting interval.
INTERVAL_MINUTES = {"interval": 15, "30min": 30, "hour": 60}
GRANULARITIES = (*INTERVAL_MINUTES, "day")
STATES = ("available", "reserved", "on_call", "wrap_up", "break", "offline")
HANDLING_STATES = ("on_call", "wrap_up")
# How long after a call's end a wrap_up row without call_sid is taken to belong to it.
WRAP_LINK_WINDOW = timedelta(seconds=60)
# How far past the window the trail is read, so wrap-ups of the last calls are found.
TRAIL_LOOKAHEAD = timedelta(hours=4)


class ReportError(DomainError, ValueError):
    """The report cannot be computed as asked (unknown formula, zone, bad window...)."""


def formula(name: str) -> SlFormula:
    try:
        return FORMULAS[name]
    except KeyError:
        raise ReportError(f"unknown service-level formula {name!r}; one of {', '.join(FORMULAS)}") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(f"unknown time zone {name!r}") from None


# -- buckets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Local days [first, last] in a zone, as the UTC instants [lower, upper)."""

    first: date
    last: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ReportError("the last day comes before the first")

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.first, time.min, self.tz).astimezone(UTC)

    @property
    def upper(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, self.tz).astimezone(UTC)

    def bucket(self, at: datetime, granularity: str) -> tuple[datetime, datetime]:
        """The UTC [start, end) of the 15-, 30- or 60-minute interval or local day holding `at`
        (intervals start on the local wall clock's quarter, half or whole hour)."""
        at = at.astimezone(UTC)
        local = at.astimezone(self.tz)
        if granularity == "day":
            start = datetime.combine(local.date(), time.min, self.tz).astimezone(UTC)
            end = datetime.combine(local.date() + timedelta(days=1), time.min, self.tz).astimezone(UTC)
            return start, end
        offset = local.utcoffset() or timedelta(0)
        wall = at.replace(tzinfo=None) + offset
        minutes = INTERVAL_MINUTES[granularity]
        into = timedelta(minutes=wall.minute % minutes, seconds=wall.second, microseconds=wall.microsecond)
        start = at - into
        return start, start + timedelta(minutes=minutes)

    def label(self, start: datetime, granularity: str) -> str:
        local = start.astimezone(self.tz)
        return local.date().isoformat() if granularity == "day" else local.isoformat()


def check_granularity(granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ReportError(f"granularity is one of {', '.join(GRANULARITIES)}")


# -- the agent state trail -------------------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    agent_id: int
    state: str
    start: datetime
    end: datetime
    call_sid: str | None


def state_spells(
    session: Session,
    lower: datetime,
    upper: datetime,
    agent_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> dict[int, list[Spell]]:
    """Per agent, the spells of the trail overlapping [lower, upper): each row lasts until the
    agent's next row; the last one until `upper` (or now, if sooner). Spells are not clipped."""
    now = now or clock.now()
    before = aliased(AgentStateChange)
    latest_before = (
        select(func.max(before.at))
        .where(before.agent_id == AgentStateChange.agent_id, before.at < lower)
        .correlate(AgentStateChange)
        .scalar_subquery()
    )
    query = select(AgentStateChange).where(
        AgentStateChange.at < upper,
        (AgentStateChange.at >= lower) | (AgentStateChange.at == latest_before),
    )
    if agent_ids is not None:
        query = query.where(AgentStateChange.agent_id.in_(list(agent_ids)))
    rows = session.scalars(query.order_by(AgentStateChange.agent_id, AgentStateChange.at, AgentStateChange.id))
    by_agent: dict[int, list[AgentStateChange]] = {}
    for row in rows:
        by_agent.setdefault(row.agent_id, []).append(row)
    last_end = min(upper, max(now, lower))
    out: dict[int, list[Spell]] = {}
    for agent_id, trail in by_agent.items():
        spells = []
        for i, row in enumerate(trail):
            end = trail[i + 1].at if i + 1 < len(trail) else max(last_end, row.at)
            spells.append(Spell(agent_id, row.state, row.at, end, row.call_sid))
        out[agent_id] = spells
    return out


def _split(start: datetime, end: datetime, window: Window, granularity: str) -> Iterator[tuple[datetime, float]]:
    """(bucket start, seconds) of [start, end) clipped to the window, cut at bucket boundaries."""
    start, end = max(start, window.lower), min(end, window.upper)
    while start < end:
        bucket_start, bucket_end = window.bucket(start, granularity)
        stop = min(end, bucket_end)
        yield bucket_start, (stop - start).total_seconds()
        start = stop


def _wrap_seconds(call: Any, spells: list[Spell]) -> float:
    """The answering agent's wrap-up after this call (0 when the trail has none)."""
    for spell in spells:
        if spell.state == "wrap_up" and spell.call_sid == call.call_sid:
            return (spell.end - spell.start).total_seconds()
    for spell in spells:
        if (
            spell.state == "wrap_up"
            and spell.call_sid is None
            and call.ended_at - timedelta(seconds=1) <= spell.start <= call.ended_at + WRAP_LINK_WINDOW
        ):
            return (spell.end - spell.start).total_seconds()
    return 0.0


def _wait(call: Any) -> float | None:
    if call.wait_s is not None:
        return float(call.wait_s)
    if call.answered_at is not None and call.queued_at is not None:
        return max(0.0, (call.answered_at - call.queued_at).total_seconds())
    return None


# -- calls per queue -------------------------------------------------------------------------


@dataclass
class CallInterval:
    queue_id: int
    queue: str
    start: datetime  # UTC
    label: str  # local start (interval) or local date (day)
    threshold_s: int
    offered: int = 0
    answered: int = 0
    answered_in_t: int = 0
    abandoned: int = 0
    abandoned_in_t: int = 0
    short_abandons: int = 0
    flowed_out: int = 0
    service_level: float | None = None
    asa_s: float | None = None
    aht_s: float | None = None
    talk_s: float | None = None
    wrap_s: float | None = None
    hold_s: float | None = None
    longest_wait_s: float | None = None
    # Working sums, left out of the output.
    _waits: list[float] = field(default_factory=list, repr=False)
    _handle: list[tuple[float, float]] = field(default_factory=list, repr=False)
    _short_in_t: int = field(default=0, repr=False)
    _short_after_t: int = field(default=0, repr=False)

    @property
    def abandoned_after_t(self) -> int:
        return self.abandoned - self.abandoned_in_t

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    # Read-only views of the working sums, so intervals can be added up (the board's day totals).
    @property
    def short_abandons_in_t(self) -> int:
        return self._short_in_t

    @property
    def short_abandons_after_t(self) -> int:
        return self._short_after_t

    @property
    def waits(self) -> tuple[float, ...]:
        """Waits of the answered calls (ASA is their mean)."""
        return tuple(self._waits)

    @property
    def handle_times(self) -> tuple[float, ...]:
        """Talk + wrap of the answered calls that ended (AHT is their mean)."""
        return tuple(t + w for t, w in self._handle)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue_id": self.queue_id,
            "queue": self.queue,
            "start": self.label,
            "start_utc": self.start.isoformat(),
            "threshold_s": self.threshold_s,
            "offered": self.offered,
            "answered": self.answered,
            "answered_in_t": self.answered_in_t,
            "abandoned": self.abandoned,
            "abandoned_in_t": self.abandoned_in_t,
            "abandoned_after_t": self.abandoned_after_t,
            "short_abandons": self.short_abandons,
            "flowed_out": self.flowed_out,
            "service_level": self.service_level,
            "abandon_rate": self.abandon_rate,
            "asa_s": self.asa_s,
            "aht_s": self.aht_s,
            "talk_s": self.talk_s,
            "hold_s": self.hold_s,
            "wrap_s": self.wrap_s,
            "longest_wait_s": self.longest_wait_s,
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def call_intervals(
    session: Session,
    first: date,
    last: date,
    *,
    time_zone: str = "UTC",
    queue: str | None = None,
    sl_formula: str = DEFAULT_FORMULA,
    granularity: str = "interval",
    now: datetime | None = None,
) -> list[CallInterval]:
    """Per queue and 15-minute interval (or local day) of queued_at, over local days [first, last].

    Intervals without calls are left out; rows come by queue name, then time.
    """
    check_granularity(granularity)
    sl = formula(sl_formula)
    window = Window(first, last, zone(time_zone))
    queues = {q.id: q for q in session.scalars(select(Queue))}
    query = select(
        Interaction.call_sid,
        Interaction.queue_id,
        Interaction.agent_id,
        Interaction.queued_at,
        Interaction.answered_at,
        Interaction.ended_at,
        Interaction.outcome,
        Interaction.wait_s,
        Interaction.short_abandon,
    ).where(
        Interaction.direction == "inbound",
        Interaction.queue_id.is_not(None),
        Interaction.queued_at.is_not(None),
        Interaction.queued_at >= window.lower,
        Interaction.queued_at < window.upper,
    )
    if queue is not None:
        match = [q.id for q in queues.values() if q.name == queue]
        if not match:
            raise ReportError(f"no queue named {queue!r}")
        query = query.where(Interaction.queue_id == match[0])
    calls = list(session.execute(query))
    agents = {c.agent_id for c in calls if c.answered_at is not None and c.agent_id is not None}
    spells = state_spells(session, window.lower, window.upper + TRAIL_LOOKAHEAD, agents, now=now) if agents else {}

    table: dict[tuple[int, datetime], CallInterval] = {}
    for call in calls:
        q = queues.get(call.queue_id)
        if q is None:
            continue
        start, _end = window.bucket(call.queued_at, granularity)
        row = table.get((q.id, start))
        if row is None:
            row = table[(q.id, start)] = CallInterval(
                q.id, q.name, start, window.label(start, granularity), q.sl_threshold_s
            )
        wait = _wait(call)
        in_t = wait is not None and wait <= q.sl_threshold_s
        if call.answered_at is not None:
            row.answered += 1
            row.answered_in_t += in_t
            if wait is not None:
                row._waits.append(wait)
                row.longest_wait_s = max(row.longest_wait_s or 0.0, wait)
            if call.ended_at is not None:
                talk = max(0.0, (call.ended_at - call.answered_at).total_seconds())
                wrap = _wrap_seconds(call, spells.get(call.agent_id, [])) if call.agent_id is not None else 0.0
                row._handle.append((talk, wrap))
        elif call.outcome == "abandoned":
            row.abandoned += 1
            row.abandoned_in_t += in_t
            if call.short_abandon:
                row.short_abandons += 1
                if in_t:
                    row._short_in_t += 1
                else:
                    row._short_after_t += 1
            if wait is not None:
                row.longest_wait_s = max(row.longest_wait_s or 0.0, wait)
        elif call.ended_at is not None:
            row.flowed_out += 1
    for row in table.values():
        row.offered = row.answered + row.abandoned
        row.service_level = sl.compute(
            row.answered,
            row.answered_in_t,
            row.abandoned_in_t,
            row.abandoned_after_t,
            row._short_in_t,
            row._short_after_t,
        )
        row.asa_s = _mean(row._waits)
        if row._handle:
            row.talk_s = _mean([t for t, _ in row._handle])
            row.wrap_s = _mean([w for _, w in row._handle])
            row.hold_s = 0.0
            row.aht_s = _mean([t + w for t, w in row._handle])
    return sorted(table.values(), key=lambda r: (r.queue, r.start))


# -- agents ----------------------------------------------------------------------------------


@dataclass
class AgentInterval:
    agent_id: int
    agent: str
    start: datetime
    label: str
    handled: int = 0
    aht_s: float | None = None
    state_s: dict[str, float] = field(default_factory=dict)
    _handle: list[float] = field(default_factory=list, repr=False)

    @property
    def logged_in_s(self) -> float:
        return sum(s for state, s in self.state_s.items() if state != "offline")

    @property
    def handling_s(self) -> float:
        return sum(self.state_s.get(state, 0.0) for state in HANDLING_STATES)

    @property
    def occupancy(self) -> float | None:
        return self.handling_s / self.logged_in_s if self.logged_in_s else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "agent": self.agent,
            "start": self.label,
            "start_utc": self.start.isoformat(),
            "handled": self.handled,
            "aht_s": self.aht_s,
            "logged_in_s": self.logged_in_s,
            "handling_s": self.handling_s,
            "occupancy": self.occupancy,
            "state_s": {state: self.state_s.get(state, 0.0) for state in _states(self.state_s)},
        }


def _states(seen: Iterable[str]) -> list[str]:
    extra = sorted(set(seen) - set(STATES))
    return list(STATES) + extra


def agent_intervals(
    session: Session,
    first: date,
    last: date,
    *,
    time_zone: str = "UTC",
    granularity: str = "interval",
    agent: str | None = None,
    now: datetime | None = None,
) -> list[AgentInterval]:
    """Per agent and 15-minute interval (or local day): handled calls, AHT, occupancy and time in
    each state, over local days [first, last]. Buckets with neither calls nor logged-in time are
    left out."""
    from contactcenter.accounts.models import User

    check_granularity(granularity)
    window = Window(first, last, zone(time_zone))
    names = dict(session.execute(select(User.id, User.username)).all())
    agent_ids: list[int] | None = None
    if agent is not None:
        agent_ids = [i for i, n in names.items() if n == agent]
        if not agent_ids:
            raise ReportError(f"no agent named {agent!r}")
    spells = state_spells(session, window.lower, window.upper + TRAIL_LOOKAHEAD, agent_ids, now=now)
    table: dict[tuple[int, datetime], AgentInterval] = {}

    def row_for(agent_id: int, start: datetime) -> AgentInterval:
        row = table.get((agent_id, start))
        if row is None:
            row = table[(agent_id, start)] = AgentInterval(
                agent_id, names.get(agent_id, str(agent_id)), start, window.label(start, granularity)
            )
        return row

    for agent_id, trail in spells.items():
        for spell in trail:
            for start, seconds in _split(spell.start, spell.end, window, granularity):
                row = row_for(agent_id, start)
                row.state_s[spell.state] = row.state_s.get(spell.state, 0.0) + seconds

    query = select(Interaction.call_sid, Interaction.agent_id, Interaction.answered_at, Interaction.ended_at).where(
        Interaction.agent_id.is_not(None),
        Interaction.answered_at >= window.lower,
        Interaction.answered_at < window.upper,
    )
    if agent_ids is not None:
        query = query.where(Interaction.agent_id.in_(agent_ids))
    for call in session.execute(query):
        start, _end = window.bucket(call.answered_at, granularity)
        row = row_for(call.agent_id, start)
        row.handled += 1
        if call.ended_at is not None:
            talk = max(0.0, (call.ended_at - call.answered_at).total_seconds())
            row._handle.append(talk + _wrap_seconds(call, spells.get(call.agent_id, [])))
    for row in table.values():
        row.aht_s = _mean(row._handle)
    rows = [r for r in table.values() if r.handled or r.logged_in_s]
    return sorted(rows, key=lambda r: (r.agent, r.start))


# -- daily: IVR containment and CSAT ---------------------------------------------------------


@dataclass(frozen=True)
class CsatDay:
    day: date
    count: int
    mean: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "count": self.count, "mean": self.mean}


def csat_by_day(session: Session, first: date, last: date, *, time_zone: str = "UTC") -> list[CsatDay]:
    """Mean CSAT score and number of scores per local day: IVR surveys by the call's arrival,
    surveys after solved tickets (e-mail) by when the customer answered."""
    window = Window(first, last, zone(time_zone))
    rows = session.execute(
        select(Interaction.arrived_at, Interaction.csat).where(
            Interaction.csat.is_not(None),
            and_(Interaction.arrived_at >= window.lower, Interaction.arrived_at < window.upper),
        )
    )
    days: dict[date, list[int]] = {}
    for arrived_at, score in rows:
        assert score is not None  # the query keeps only rated calls
        days.setdefault(arrived_at.astimezone(window.tz).date(), []).append(score)
    for survey in surveys.answers_between(session, window.lower, window.upper):
        days.setdefault(survey.answered_at.astimezone(window.tz).date(), []).append(survey.score)
    return [CsatDay(day, len(scores), sum(scores) / len(scores)) for day, scores in sorted(days.items())]
