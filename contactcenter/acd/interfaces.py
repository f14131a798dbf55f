"""Plain data in and out of the ACD's real-time core (`contactcenter.acd.realtime`).

Nothing here touches Redis, Flask or Twilio: the web layer, the workers and the simulators build
these values from the SQL store or from webhooks, hand them to the core, and get these values back.
Times are Unix seconds (floats); the core keeps them in Redis as whole milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contactcenter.errors import DomainError

if TYPE_CHECKING:
    from contactcenter.accounts.models import User
    from contactcenter.acd.models import Queue

# --- vocabulary -----------------------------------------------------------------------------

STRATEGIES = ("longest-idle", "most-skilled", "round-robin", "fewest-calls", "least-talk-time")
DEFAULT_STRATEGY = "longest-idle"

OFFLINE, AVAILABLE, RESERVED, ON_CALL, WRAP_UP, BREAK = (
    "offline",
    "available",
    "reserved",
    "on_call",
    "wrap_up",
    "break",
)
AGENT_STATES = (OFFLINE, AVAILABLE, RESERVED, ON_CALL, WRAP_UP, BREAK)
# States an agent (or a supervisor) may ask for; the others only follow offers and calls.
SETTABLE_STATES = (OFFLINE, AVAILABLE, BREAK)
BREAK_REASONS = ("lunch", "training", "meeting", "missed", "other")
MISSED = "missed"  # the break an agent is put on after letting an offer go unanswered (RONA)

WAITING, OFFERED, CONNECTED, COMPLETED, ABANDONED = (
    "waiting",
    "offered",
    "connected",
    "completed",
    "abandoned",
)
CALL_STATES = (WAITING, OFFERED, CONNECTED, COMPLETED, ABANDONED)
TERMINAL_CALL_STATES = (COMPLETED, ABANDONED)

# Offer outcomes (the state an offer record ends in).
OFFER_PENDING, OFFER_ACCEPTED, OFFER_REJECTED, OFFER_EXPIRED, OFFER_RESCINDED = (
    "pending",
    "accepted",
    "rejected",
    "expired",
    "rescinded",
)

# Effective priority (queue priority + call priority) is kept within 0..MAX_PRIORITY so that a
# queue score (MAX_PRIORITY - priority) * 10**13 + enqueued_ms stays below 2**53 (exact in a double).
MAX_PRIORITY = 899

# Channels a task comes in on. Voice is the agent's one line (capacity 0 or 1); the others are
# held side by side up to the agent's capacity for each.
VOICE, CHAT, EMAIL, SMS = "voice", "chat", "email", "sms"
# Web chats wait in the router under this prefix (`chat-<id>`); accepting one places no carrier leg.
CHAT_PREFIX = "chat-"
CHANNELS = (VOICE, CHAT, EMAIL, SMS)
DEFAULT_CAPACITY: Mapping[str, int] = {VOICE: 1, CHAT: 3, EMAIL: 5, SMS: 5}
MAX_CAPACITY = {VOICE: 1, CHAT: 20, EMAIL: 50, SMS: 50}


def check_capacity(capacity: Mapping[str, int]) -> dict[str, int]:
    """Every channel's capacity, defaults filled in; ACDError for an unknown channel or a count
    out of range (voice is one line at most: an agent cannot talk on two calls)."""
    out = dict(DEFAULT_CAPACITY)
    for channel, value in capacity.items():
        if channel not in CHANNELS:
            raise ACDError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY[channel]:
            raise ACDError(f"{channel} capacity must be a whole number from 0 to {MAX_CAPACITY[channel]}")
        out[channel] = value
    return out


MAX_SKILL_LEVEL = 10

_NAME = re.compile(r"^[^\s,;=|]{1,120}$")


class ACDError(DomainError, ValueError):
    """A request the ACD cannot even consider (bad name, level out of range, unknown strategy)."""


def check_name(kind: str, value: str) -> str:
    """Queue, skill and agent names are non-empty and free of the separators the core encodes with."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ACDError(f"{kind} {value!r} must be 1-120 characters without spaces or any of , ; = |")
    return value


def check_level(skill: str, level: int) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_SKILL_LEVEL:
        raise ACDError(f"skill level for {skill!r} must be a whole number 1-{MAX_SKILL_LEVEL}, not {level!r}")
    return level


def check_skills(skills: Mapping[str, int]) -> dict[str, int]:
    return {check_name("skill", name): check_level(name, level) for name, level in skills.items()}


def check_priority(priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise ACDError(f"priority must be a whole number 0-{MAX_PRIORITY}, not {priority!r}")
    return priority


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationStep:
    """What changes for a call once it has waited `after_seconds`.

    Steps are cumulative: a call that waited past several steps gets all of them.
    - relax_to: every minimum level is capped at this level (e.g. 3: "level 3 is good enough now").
    - relax: per-skill caps, {"spanish": 2}.
    - drop: skills no longer required at all.
    - widen_to: queues whose members may now take the call too (an overflow group), still subject
      to the skills required at this step.
    """

    after_seconds: float
    relax_to: int | None = None
    relax: Mapping[str, int] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    widen_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.after_seconds >= 0:
            raise ACDError("an escalation step starts at 0 seconds or later")
        if self.relax_to is not None:
            check_level("relax_to", self.relax_to)
        check_skills(self.relax)
        object.__setattr__(self, "relax", dict(self.relax))
        object.__setattr__(self, "drop", tuple(check_name("skill", s) for s in self.drop))
        object.__setattr__(self, "widen_to", tuple(check_name("queue", q) for q in self.widen_to))


@dataclass(frozen=True)
class QueueConfig:
    """A queue as the router sees it (built from the SQL `Queue` row with `from_model`)."""

    name: str
    priority: int = 0
    required_skills: Mapping[str, int] = field(default_factory=dict)
    strategy: str = DEFAULT_STRATEGY
    escalation: tuple[EscalationStep, ...] = ()
    max_length: int | None = None
    wrap_up_seconds: float = 30.0
    # None: the engine's default offer timeout.
    offer_timeout_seconds: float | None = None
    # Handle time assumed for wait estimates until real calls have been measured.
    default_handle_seconds: float = 180.0

    def __post_init__(self) -> None:
        check_name("queue", self.name)
        check_priority(self.priority)
        object.__setattr__(self, "required_skills", check_skills(self.required_skills))
        if self.strategy not in STRATEGIES:
            raise ACDError(f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        steps = tuple(sorted(self.escalation, key=lambda s: s.after_seconds))
        object.__setattr__(self, "escalation", steps)
        if self.max_length is not None and self.max_length < 1:
            raise ACDError("max_length must be at least 1 (or None for no limit)")
        if self.wrap_up_seconds < 0:
            raise ACDError("wrap_up_seconds cannot be negative")
        if self.offer_timeout_seconds is not None and self.offer_timeout_seconds <= 0:
            raise ACDError("offer_timeout_seconds must be positive")
        if self.default_handle_seconds <= 0:
            raise ACDError("default_handle_seconds must be positive")

    @classmethod
    def from_model(cls, queue: Queue, escalation: Iterable[EscalationStep] = (), **overrides: Any) -> QueueConfig:
        values: dict[str, Any] = dict(
            name=queue.name,
            priority=queue.priority or 0,
            required_skills={qs.skill.name: qs.min_level for qs in queue.required_skills},
            strategy=queue.strategy or DEFAULT_STRATEGY,
            escalation=tuple(escalation),
            max_length=queue.max_length,
            wrap_up_seconds=float(queue.wrap_up_s if queue.wrap_up_s is not None else 30),
        )
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class AgentProfile:
    """Who an agent is to the router: skills (level 1-10) and the queues they serve."""

    agent_id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: tuple[str, ...] = ()
    capacity: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    voice_exclusive: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "capacity", check_capacity(self.capacity))
        object.__setattr__(self, "agent_id", check_name("agent id", str(self.agent_id)))
        object.__setattr__(self, "skills", check_skills(self.skills))
        queues = tuple(dict.fromkeys(check_name("queue", q) for q in self.queues))
        object.__setattr__(self, "queues", queues)

    @classmethod
    def from_user(cls, user: User) -> AgentProfile:
        return cls(
            agent_id=str(user.id),
            skills=user.skill_levels(),
            queues=tuple(m.queue.name for m in user.memberships),
            capacity=user.channel_capacity(),
            voice_exclusive=user.voice_exclusive,
        )


# --- rebuild input (read from the SQL store by the caller) ----------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """A call still in the system: waiting in a queue, or connected when `agent_id` is set."""

    call_sid: str
    queue: str
    enqueued_at: float
    priority: int = 0
    skills_override: Mapping[str, int] | None = None
    attributes: Mapping[str, Any] | None = None
    agent_id: str | None = None
    connected_at: float | None = None
    channel: str = VOICE


@dataclass(frozen=True)
class AgentRecord:
    """An agent's profile and state as the SQL store last recorded them."""

    profile: AgentProfile
    state: str = OFFLINE
    reason: str | None = None
    since: float | None = None
    idle_since: float | None = None
    wrap_until: float | None = None
    calls_today: int = 0
    talk_seconds_today: float = 0.0


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A reservation: `call_sid` is held for `agent_id` until accepted, rejected or `expires_at`."""

    offer_id: str
    call_sid: str
    agent_id: str
    queue: str
    created_at: float
    expires_at: float
    priority: int


@dataclass(frozen=True)
class Outcome:
    """What a state change did: `ok`, or why not (`reason`), its events and any offers it led to."""

    ok: bool
    reason: str | None = None
    events: tuple[dict[str, Any], ...] = ()
    offers: tuple[Offer, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class TickReport:
    """One pass of the ticker: offers that timed out, wrap-ups that ended, offers made."""

    expired: tuple[str, ...]
    wrap_ups_ended: tuple[str, ...]
    offers: tuple[Offer, ...]
    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AgentSnapshot:
    agent_id: str
    state: str
    reason: str | None
    since: float
    time_in_state: float
    idle_since: float | None
    wrap_until: float | None
    offer_id: str | None
    call_sid: str | None
    queues: tuple[str, ...]
    skills: Mapping[str, int]
    calls_today: int
    talk_seconds_today: float
    load: Mapping[str, int] = field(default_factory=dict)  # tasks held per channel besides voice


@dataclass(frozen=True)
class CallSnapshot:
    call_sid: str
    queue: str
    state: str
    priority: int
    effective_priority: int
    enqueued_at: float
    wait_seconds: float
    skills_override: Mapping[str, int] | None
    attributes: Mapping[str, Any]
    agent_id: str | None
    offer_id: str | None
    connected_at: float | None
    reason: str | None
    channel: str = VOICE


@dataclass(frozen=True)
class QueueStats:
    queue: str
    waiting: int
    offered: int
    longest_wait_seconds: float
    agents_available: int
    agents_reserved: int
    agents_on_call: int
    agents_wrap_up: int
    agents_break: int
    agents_offline: int
    average_handle_seconds: float


@dataclass(frozen=True)
class CallPosition:
    """Where a waiting call stands: 1 = next for the agents who can take it.

    `position` counts the calls that the agents eligible for this call would be offered first
    (better priority, or same priority and waiting longer, in any queue those agents serve).
    `ewt_seconds` is None when nobody who can take the call is logged in.
    """

    call_sid: str
    state: str
    position: int
    eligible_agents: int
    available_agents: int
    average_handle_seconds: float
    ewt_seconds: float | None
