"""The words the pacer and its callers share: agent states, call outcomes, the agent-pool port,
the answered-call hand-over, a campaign's pacing settings and the pacer's `Decision`.

Kept apart so the campaign rules, the ACD adapter and the simulation can speak to the pacer
without importing its decision code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

PREVIEW, PROGRESSIVE, PREDICTIVE = "preview", "progressive", "predictive"
DIAL_MODES = (PREVIEW, PROGRESSIVE, PREDICTIVE)

AVAILABLE, TALK, WRAP, RESERVED, AWAY = "available", "talk", "wrap", "reserved", "away"
# The ACD's vocabulary (contactcenter.acd.interfaces) maps onto the pacer's.
_STATE_ALIASES = {
    "available": AVAILABLE,
    "idle": AVAILABLE,
    "talk": TALK,
    "on_call": TALK,
    "connected": TALK,
    "wrap": WRAP,
    "wrap_up": WRAP,
    "reserved": RESERVED,
    "offered": RESERVED,
}

# What the pacer gives up when AMD's false positives alone would reach the cap (`PacingConfig`).
AMD_WHEN_DRAINING = ("progressive", "off")

# Outcomes of a call that never reached a live person.
MACHINE, BUSY, NO_ANSWER, FAILED, CANCELED = "machine", "busy", "no-answer", "failed", "canceled"
NOT_LIVE_OUTCOMES = (MACHINE, BUSY, NO_ANSWER, FAILED, CANCELED)


def agent_state(raw: str) -> str:
    """The pacer's name for an agent state (anything unknown counts as away)."""
    return _STATE_ALIASES.get(raw, AWAY)


@dataclass(frozen=True)
class AgentView:
    """One agent of the campaign as the pool sees it now.

    `since` is when the agent entered `state` (Unix seconds): for TALK the start of the call,
    for WRAP the start of wrap-up. States may use the ACD's names (on_call, wrap_up, ...).
    """

    agent_id: str
    state: str
    since: float


class AgentPool(Protocol):
    """Where the pacer learns who can take its calls (the ACD implements it)."""

    def agents(self, campaign_id: int) -> Sequence[AgentView]: ...


@dataclass(frozen=True)
class AnsweredCall:
    """A live person answered: connect an agent before `connect_by`, else play the safe harbor."""

    campaign_id: int
    call_id: str
    answered_at: float
    connect_by: float
    lead_id: int | None = None
    phone: str | None = None
    agent_id: str | None = None  # progressive and preview: the agent the call was placed for


OnAnswered = Callable[[AnsweredCall], None]


@dataclass(frozen=True)
class PacingConfig:
    mode: str = PREDICTIVE
    abandon_cap: float = 0.03
    period_s: float = 30 * 86_400.0
    connect_within_s: float = 2.0
    ring_timeout_s: float = 25.0
    min_ring_s: float = 15.0
    max_dial_ratio: float = 3.0
    # Marginal abandonment target of each new call, as a share of the cap (the operating point).
    target_share: float = 0.75
    # 1.0: the exposure bound assumes every call in flight may be answered live (worst case).
    exposure_confidence: float = 1.0
    # Priors, until calls have been measured.
    expected_answer_rate: float = 0.25
    expected_talk_s: float = 150.0
    expected_wrap_s: float = 30.0
    count_amd_false_positives: bool = False
    amd_false_positive_share: float = 0.0
    # When the calls placed with AMD charge more false positives than their live answers earn
    # (AMD alone would reach the cap): "progressive" stops over-dialing and keeps AMD as far as
    # the room allows; "off" turns AMD off for the period's calls and keeps over-dialing.
    amd_when_draining: str = "progressive"
    # How often the measured distributions are re-read into the lookup tables.
    refresh_s: float = 10.0

    def __post_init__(self) -> None:
        if self.mode not in DIAL_MODES:
            raise ValueError(f"dial mode must be one of {', '.join(DIAL_MODES)}")
        if not 0 <= self.abandon_cap < 1:
            raise ValueError("abandon_cap must be in [0, 1)")
        if not 0 < self.target_share <= 1:
            raise ValueError("target_share must be in (0, 1]")
        if not 0.5 <= self.exposure_confidence <= 1:
            raise ValueError("exposure_confidence must be in [0.5, 1]")
        if self.max_dial_ratio < 1:
            raise ValueError("max_dial_ratio must be at least 1")
        if self.ring_timeout_s < self.min_ring_s:
            raise ValueError(f"ring timeout must be at least {self.min_ring_s:g} s")
        if self.amd_when_draining not in AMD_WHEN_DRAINING:
            raise ValueError(f"amd_when_draining must be one of {', '.join(AMD_WHEN_DRAINING)}")

    @property
    def boundary_guard_s(self) -> float:
        """Before a period ends, stop over-dialing this long ahead (a call resolves within it)."""
        return self.ring_timeout_s + 30.0


@dataclass(frozen=True)
class Decision:
    """What the pacer wants now: `launch` new calls, and `cancel` these ringing calls."""

    launch: int
    reason: str
    mode: str
    available: int = 0
    busy: int = 0
    active: int = 0
    in_flight: int = 0
    waiting: int = 0
    answer_rate: float = 0.0
    marginal_abandon: float = 0.0
    exposure: float = 0.0
    allowed_exposure: float = 0.0
    period_rate: float = 0.0
    cancel: tuple[str, ...] = ()
    # How many of the `launch` calls may use answering-machine detection (None: all of them);
    # the rest go out without it (see "AMD false positives" in `pacer`).
    screened: int | None = None

    @property
    def screened_launch(self) -> int:
        return self.launch if self.screened is None else max(0, min(self.launch, self.screened))
