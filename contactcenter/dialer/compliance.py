"""Outbound-calling rule sets and the abandonment ledger they are measured with.

Two rule sets ship (see GLOSSARY.md, "Outbound dialing"); a campaign picks one and may make any
of its numbers stricter, never looser:

US (TSR 16 CFR 310.4(b)(4), FCC 47 CFR 64.1200(a)(7))
    abandoned calls at most 3 % of live-answered calls, measured over the campaign when it runs
    under 30 days, else separately for each successive 30-day period; a call is abandoned when no
    agent is connected within 2 s of the greeting, and then a recorded message with the seller's
    name and call-back number plays; ring at least 15 s; calls only 08:00-21:00 in the called
    party's local time; do-not-call lists honoured.
UK (Ofcom persistent-misuse policy)
    at most 3 % of live calls per campaign per 24 hours, counting a reasoned estimate of live
    people that answering-machine detection took for machines; an information message on every
    abandoned call; no repeat call within 72 hours of an abandoned call unless an agent is
    guaranteed.

Periods are successive spans of `period_s` from the campaign's first start (pausing does not
reset them). A live answer and an abandonment each count in the period in which they happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import time

DAY_S = 86_400.0


@dataclass(frozen=True)
class RuleSet:
    name: str
    abandon_cap: float
    period_s: float
    connect_within_s: float
    min_ring_s: int
    window_start: time
    window_end: time
    # No repeat call to a number within this many seconds of an abandoned call to it (0: none).
    redial_after_abandon_s: float
    # Count an estimate of AMD false positives (live people hung up on as machines) as abandoned.
    count_amd_false_positives: bool
    # Regions a campaign under these rules may call by default (ISO region or "+<calling code>").
    default_regions: tuple[str, ...]
    default_region: str


US = RuleSet(
    name="US",
    abandon_cap=0.03,
    period_s=30 * DAY_S,
    connect_within_s=2.0,
    min_ring_s=15,
    window_start=time(8, 0),
    window_end=time(21, 0),
    redial_after_abandon_s=0.0,
    count_amd_false_positives=False,
    default_regions=("US",),
    default_region="US",
)

UK = RuleSet(
    name="UK",
    abandon_cap=0.03,
    period_s=DAY_S,
    connect_within_s=2.0,
    min_ring_s=15,
    window_start=time(8, 0),
    window_end=time(21, 0),
    redial_after_abandon_s=72 * 3600.0,
    count_amd_false_positives=True,
    default_regions=("+44",),
    default_region="GB",
)

RULE_SETS = {"US": US, "UK": UK}


def rule_set(name: str) -> RuleSet:
    try:
        return RULE_SETS[name]
    except KeyError:
        raise ValueError(f"unknown rule set {name!r} (expected one of {', '.join(RULE_SETS)})") from None


def period_index(origin: float, at: float, period_s: float) -> int:
    """Which regulatory period (0, 1, ...) the instant `at` falls in (Unix seconds)."""
    if at < origin:
        return 0
    return int(math.floor((at - origin) / period_s))


def period_bounds(origin: float, at: float, period_s: float) -> tuple[float, float]:
    index = period_index(origin, at, period_s)
    start = origin + index * period_s
    return start, start + period_s


@dataclass(frozen=True)
class LedgerCounts:
    """What one period has seen so far (rebuilt from DialAttempt rows by the services)."""

    period: int = 0
    live_answered: int = 0
    abandoned: int = 0
    machine_verdicts: int = 0


class AbandonLedger:
    """Live answers and abandonments in the current regulatory period of one campaign.

    `rate` is what a regulator would compute from our records; `slack` is how many more
    abandonments the period could take right now without its rate exceeding the cap. When AMD
    false positives count (UK), `machine_verdicts x amd_false_positive_share` live people are
    added to both the abandoned and the live-answered counts.
    """

    def __init__(
        self,
        cap: float,
        period_s: float,
        origin: float,
        *,
        count_amd_false_positives: bool = False,
        amd_false_positive_share: float = 0.0,
    ) -> None:
        if not 0 <= cap < 1:
            raise ValueError("abandonment cap must be in [0, 1)")
        if period_s <= 0:
            raise ValueError("period must be positive")
        self.cap = cap
        self.period_s = period_s
        self.origin = origin
        self.count_fp = count_amd_false_positives
        self.fp_share = max(0.0, amd_false_positive_share)
        self.counts = LedgerCounts()

    def restore(self, counts: LedgerCounts) -> None:
        self.counts = counts

    def roll(self, at: float) -> None:
        index = period_index(self.origin, at, self.period_s)
        if index != self.counts.period:
            self.counts = LedgerCounts(period=index)

    def live_answer(self, at: float) -> None:
        self.roll(at)
        self.counts = replace(self.counts, live_answered=self.counts.live_answered + 1)

    def abandoned(self, at: float) -> None:
        self.roll(at)
        self.counts = replace(self.counts, abandoned=self.counts.abandoned + 1)

    def machine(self, at: float) -> None:
        self.roll(at)
        self.counts = replace(self.counts, machine_verdicts=self.counts.machine_verdicts + 1)

    @property
    def estimated_false_positives(self) -> float:
        return self.counts.machine_verdicts * self.fp_share if self.count_fp else 0.0

    @property
    def live(self) -> float:
        return self.counts.live_answered + self.estimated_false_positives

    @property
    def abandons(self) -> float:
        return self.counts.abandoned + self.estimated_false_positives

    @property
    def rate(self) -> float:
        return self.abandons / self.live if self.live else 0.0

    @property
    def slack(self) -> float:
        """cap x live - abandoned: further abandonments the period can take at its current size."""
        return self.cap * self.live - self.abandons

    def period_end(self) -> float:
        return self.origin + (self.counts.period + 1) * self.period_s


def safe_harbor_text(company_name: str, callback_number: str, custom: str | None = None) -> str:
    """The recorded message an abandoned call hears: who called and a number to call back."""
    if custom:
        return custom
    spoken = " ".join(callback_number.lstrip("+")) if callback_number else ""
    return (
        f"Hello, this is {company_name} calling. We are sorry we missed you. "
        f"Please call us back at {spoken}. Thank you, goodbye."
    )


def check_safe_harbor(text: str, company_name: str, callback_number: str) -> list[str]:
    """Problems with a custom safe-harbor message (it must name the seller and give the number)."""
    problems = []
    if company_name.strip().lower() not in text.lower():
        problems.append("the safe-harbor message must name the company")
    digits = "".join(ch for ch in callback_number if ch.isdigit())
    text_digits = "".join(ch for ch in text if ch.isdigit())
    if not digits or digits[-10:] not in text_digits:
        problems.append("the safe-harbor message must give the call-back number")
    return problems
