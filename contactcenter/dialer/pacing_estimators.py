"""The pacing maths: answer-rate and handle-time estimators, and the binomial bound on exposure.

Pure numbers with no notion of campaigns or calls, so they can be reasoned about (and tested)
on their own; `Pacer` combines them into decisions.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterable

from contactcenter.dialer.pacing_vocabulary import PacingConfig


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


class DecayedRate:
    """A success share with exponential forgetting (half-life in observations) and a prior."""

    def __init__(self, prior_rate: float, prior_weight: float, half_life: float) -> None:
        self.decay = 0.5 ** (1.0 / half_life)
        self.hits = prior_rate * prior_weight
        self.n = prior_weight

    def add(self, hit: bool) -> None:
        self.hits = self.hits * self.decay + (1.0 if hit else 0.0)
        self.n = self.n * self.decay + 1.0

    def adopt(self, other: DecayedRate) -> None:
        self.hits, self.n = other.hits, other.n

    @property
    def rate(self) -> float:
        return self.hits / self.n if self.n > 0 else 0.0


class SampleWindow:
    """The last `size` samples, kept sorted; starts with prior samples that age out first."""

    def __init__(self, size: int, prior: Iterable[float] = ()) -> None:
        self.size = size
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []
        self.real = 0
        for x in prior:
            self._push(x)

    def _push(self, x: float) -> None:
        self._fifo.append(x)
        bisect.insort(self._sorted, x)
        if len(self._fifo) > self.size:
            old = self._fifo.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]

    def add(self, x: float) -> None:
        self.real += 1
        self._push(max(0.0, float(x)))

    def __len__(self) -> int:
        return len(self._sorted)

    def cdf(self, x: float) -> float:
        n = len(self._sorted)
        return bisect.bisect_right(self._sorted, x) / n if n else 0.0

    def above(self, x: float) -> int:
        return len(self._sorted) - bisect.bisect_right(self._sorted, x)

    def quantile(self, q: float) -> float:
        if not self._sorted:
            return 0.0
        i = min(len(self._sorted) - 1, max(0, int(q * len(self._sorted))))
        return self._sorted[i]

    @property
    def mean(self) -> float:
        return sum(self._sorted) / len(self._sorted) if self._sorted else 0.0

    def release_probability(self, elapsed: float, horizon: float) -> float:
        """P(X <= elapsed + horizon | X > elapsed): it ends within `horizon` given it has lasted."""
        if horizon <= 0:
            return 0.0
        alive = self.above(elapsed)
        if alive < 3:
            # Beyond what we have seen: memoryless tail with the sample mean.
            mean = max(self.mean, 1.0)
            return 1.0 - math.exp(-horizon / mean)
        return (alive - self.above(elapsed + horizon)) / alive


def _exponential_prior(mean: float, k: int = 25) -> list[float]:
    return [-mean * math.log(1.0 - (i + 0.5) / k) for i in range(k)]


def _uniform_prior(lo: float, hi: float, k: int = 25) -> list[float]:
    return [lo + (hi - lo) * (i + 0.5) / k for i in range(k)]


class AnswerModel:
    """Live-answer rate and timing, measured from the campaign's own calls."""

    def __init__(self, config: PacingConfig) -> None:
        p0 = min(max(config.expected_answer_rate, 0.01), 0.99)
        self.slow = DecayedRate(p0, 20.0, half_life=300.0)
        self.fast = DecayedRate(p0, 5.0, half_life=30.0)
        ring = config.ring_timeout_s
        self.live_delay = SampleWindow(600, _uniform_prior(3.0, max(4.0, min(15.0, ring - 1.0))))
        other = [ring] * 15 + _uniform_prior(1.0, 4.0, 5) + _uniform_prior(10.0, ring, 5)
        self.other_end = SampleWindow(600, other)
        self.changes = 0
        self._tracking = 0

    def observe(self, live: bool, delay: float) -> None:
        self.slow.add(live)
        self.fast.add(live)
        (self.live_delay if live else self.other_end).add(delay)
        # A step change (answer rate halves or doubles) is adopted at once, not over hundreds of
        # calls: when the recent share is far outside what the long memory expects.
        # After a detected change the long memory follows the short one for a few half-lives,
        # so it settles on the new level rather than on a point midway through the step.
        if self._tracking > 0:
            self._tracking -= 1
            self.slow.adopt(self.fast)
            return
        p = min(max(self.slow.rate, 0.01), 0.99)
        if self.fast.n >= 25:
            z = (self.fast.rate - p) / math.sqrt(p * (1 - p) / self.fast.n)
            if abs(z) > 4.0:
                self.slow.adopt(self.fast)
                self.changes += 1
                self._tracking = 90

    @property
    def rate(self) -> float:
        return min(max(self.slow.rate, 0.001), 0.999)

    @property
    def rate_high(self) -> float:
        """A pessimistic (high) answer rate, for the exposure bound."""
        p = self.rate
        return min(0.999, p + 2.33 * math.sqrt(p * (1 - p) / max(self.slow.n, 1.0)))


class HandleModel:
    """Talk and wrap-up durations: when will a busy agent be free?"""

    def __init__(self, config: PacingConfig) -> None:
        talk, wrap = max(config.expected_talk_s, 1.0), max(config.expected_wrap_s, 0.0)
        self.talk = SampleWindow(500, _exponential_prior(talk))
        self.wrap = SampleWindow(500, _uniform_prior(0.5 * wrap, 1.5 * wrap) if wrap else [0.0] * 25)

    def observe(self, talk_s: float, wrap_s: float) -> None:
        self.talk.add(talk_s)
        self.wrap.add(wrap_s)


def binomial_upper_quantile(n: int, q: float, alpha: float) -> int:
    """Smallest k with P(Bin(n, q) > k) <= alpha."""
    if n <= 0 or q <= 0:
        return 0
    if q >= 1 or alpha <= 0:
        return n
    mode = min(n, int((n + 1) * q))
    log_mode = math.lgamma(n + 1) - math.lgamma(mode + 1) - math.lgamma(n - mode + 1)
    log_mode += mode * math.log(q) + (n - mode) * math.log1p(-q)
    odds = q / (1 - q)
    pmf = [0.0] * (n + 1)
    pmf[mode] = math.exp(log_mode)
    for k in range(mode, n):
        pmf[k + 1] = pmf[k] * (n - k) / (k + 1) * odds
    for k in range(mode, 0, -1):
        pmf[k - 1] = pmf[k] * k / (n - k + 1) / odds
    tail = 0.0
    for k in range(n, -1, -1):
        # tail = P(X > k - 1) after adding pmf[k]; k is the answer when P(X > k) <= alpha.
        if tail + pmf[k] > alpha:
            return k
        tail += pmf[k]
    return 0
