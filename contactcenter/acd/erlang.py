"""Queueing-theory staffing maths for the ACD: Erlang B, Erlang C and Erlang A.

Workforce planning asks two questions of a queue: "with N agents, how good is the service?"
and "how many agents do we need to answer 80% of calls within 20 seconds?". Erlang C
(M/M/N, callers wait forever) is the industry's usual answer; Erlang A (M/M/N+M, callers hang
up after an exponentially distributed patience) is the more honest one when abandonment is
real, and it also stays meaningful when the queue is overloaded.

Everything here is pure: no clock, no database. Rates come in as calls per hour and seconds,
because that is how planners speak; internally time is in seconds.

Numerical care matters because contact centers run with thousands of agents: A**N / N!
overflows long before N = 200, so Erlang B is computed with its stable recursion and the
Erlang A chain is summed with a rescaled running maximum (log space), never with factorials.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

# Relative tail mass we are willing to drop when truncating the Erlang A chain.
TRUNCATION_EPSILON = 1e-15
# Hard cap on chain states. Only an overloaded queue with an extremely long patience gets
# near it (the chain then needs about calls-per-second / abandon-rate states).
MAX_CHAIN_STATES = 5_000_000
# Absolute error allowed per panel when integrating the answer-time density (a probability).
_INTEGRATION_TOLERANCE = 1e-13


@dataclass(frozen=True)
class ErlangCResult:
    """Performance of an M/M/N queue (callers never hang up).

    `stable` is False when agents <= traffic: the queue then grows without bound, so every
    caller waits (p_wait = 1), nobody is answered within the target (service_level = 0),
    the average speed of answer is infinite and agents are busy all the time (occupancy = 1).
    """

    agents: int
    traffic_erlangs: float
    target_seconds: float
    p_wait: float
    service_level: float
    asa_seconds: float
    occupancy: float
    stable: bool


@dataclass(frozen=True)
class ErlangAResult:
    """Performance of an M/M/N+M queue (exponential patience), from its exact birth-death chain.

    - p_wait: probability an arriving caller finds all agents busy (PASTA).
    - p_abandon: probability a caller hangs up before being answered.
    - service_level: probability a caller is *answered* within target_seconds, over all
      offered calls; callers who abandon count as missed, whenever they hang up.
    - asa_seconds: mean wait of *answered* calls (those answered at once count as 0 s).
    - occupancy: share of agent time spent talking, A * (1 - p_abandon) / N.

    The queue is always stable: abandonment drains it however few agents there are.
    """

    agents: int
    traffic_erlangs: float
    target_seconds: float
    patience_seconds: float
    p_wait: float
    p_abandon: float
    service_level: float
    asa_seconds: float
    occupancy: float


def _check_positive(name: str, value: float) -> None:
    # `not value > 0` also rejects NaN, which would otherwise poison every result silently.
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _check_agents(agents: int) -> None:
    if not isinstance(agents, int) or isinstance(agents, bool) or agents < 1:
        raise ValueError(f"agents must be a whole number of at least 1, got {agents!r}")


def _check_target_seconds(target_seconds: float) -> None:
    if (
        not isinstance(target_seconds, (int, float))
        or isinstance(target_seconds, bool)
        or not 0 <= target_seconds < math.inf
    ):
        raise ValueError(f"target_seconds must be zero or a positive number, got {target_seconds!r}")


def traffic_erlangs(calls_per_hour: float, aht_s: float) -> float:
    """Offered load A = arrival rate x average handle time, in erlangs (busy agents needed)."""
    _check_positive("calls_per_hour", calls_per_hour)
    _check_positive("aht_s", aht_s)
    return calls_per_hour * aht_s / 3600.0


def _erlang_b_step(k: int, traffic: float, previous: float) -> float:
    # B(k) = A B(k-1) / (k + A B(k-1)): every term stays in [0, 1], so nothing overflows.
    load = traffic * previous
    return load / (k + load)


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of an M/M/N/N loss system (Erlang B).

    Uses B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), which is exact, needs no factorials and
    stays well conditioned for thousands of agents.
    """
    _check_agents(agents)
    _check_positive("traffic", traffic)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = _erlang_b_step(k, traffic, blocking)
    return blocking


def _erlang_c_result(
    agents: int, traffic: float, blocking: float, aht_s: float, target_seconds: float
) -> ErlangCResult:
    if agents <= traffic:
        return ErlangCResult(
            agents=agents,
            traffic_erlangs=traffic,
            target_seconds=target_seconds,
            p_wait=1.0,
            service_level=0.0,
            asa_seconds=math.inf,
            occupancy=1.0,
            stable=False,
        )
    p_wait = agents * blocking / (agents - traffic * (1.0 - blocking))
    spare = agents - traffic
    return ErlangCResult(
        agents=agents,
        traffic_erlangs=traffic,
        target_seconds=target_seconds,
        p_wait=p_wait,
        service_level=1.0 - p_wait * math.exp(-spare * target_seconds / aht_s),
        asa_seconds=p_wait * aht_s / spare,
        occupancy=traffic / agents,
        stable=True,
    )


def erlang_c(agents: int, calls_per_hour: float, aht_s: float, target_seconds: float) -> ErlangCResult:
    """Erlang C figures for `agents` agents: P(wait), service level within target, ASA, occupancy.

    C = N B / (N - A (1 - B)) from Erlang B; SL(T) = 1 - C exp(-(N - A) T / AHT);
    ASA = C AHT / (N - A). An overloaded queue (N <= A) is reported, not raised: see
    `ErlangCResult.stable`.
    """
    _check_agents(agents)
    _check_target_seconds(target_seconds)
    traffic = traffic_erlangs(calls_per_hour, aht_s)
    return _erlang_c_result(agents, traffic, erlang_b(agents, traffic), aht_s, target_seconds)


def _integrate_simpson(f: Callable[[float], float], a: float, b: float) -> float:
    """Adaptive Simpson over [a, b] for a monotone integrand with values in [0, rate]."""
    if b <= a:
        return 0.0

    def panel(a: float, b: float, fa: float, fm: float, fb: float, whole: float, depth: int) -> float:
        m = 0.5 * (a + b)
        lm, rm = 0.5 * (a + m), 0.5 * (m + b)
        flm, frm = f(lm), f(rm)
        left = (m - a) * (fa + 4.0 * flm + fm) / 6.0
        right = (b - m) * (fm + 4.0 * frm + fb) / 6.0
        delta = left + right - whole
        if depth == 0 or abs(delta) <= 15.0 * _INTEGRATION_TOLERANCE:
            return left + right + delta / 15.0
        return panel(a, m, fa, flm, fm, left, depth - 1) + panel(m, b, fm, frm, fb, right, depth - 1)

    fa, fm, fb = f(a), f(0.5 * (a + b)), f(b)
    return panel(a, b, fa, fm, fb, (b - a) * (fa + 4.0 * fm + fb) / 6.0, 60)


def erlang_a(
    agents: int, calls_per_hour: float, aht_s: float, patience_s: float, target_seconds: float
) -> ErlangAResult:
    """Erlang A (M/M/N+M) figures, with mean caller patience `patience_s` (exponential).

    Method: the number of callers in the system is a birth-death chain with birth rate
    lambda and death rate min(n, N) mu + max(n - N, 0) theta (theta = 1 / patience). Its
    stationary weights w(n) = prod lambda / d(k) are summed in log space with a running
    rescale, so no term overflows even with thousands of agents.

    Truncation bound: the ratios r(n) = lambda / d(n) never increase with n, so once
    r(n+1) < 1 the mass beyond state n is at most w(n) r / (1 - r). Summation stops at the
    first n >= N where that bound is below TRUNCATION_EPSILON (1e-15) times the mass summed
    so far; the dropped tail is therefore under 1e-15 of the total.

    From the chain: p_wait = P(n >= N); p_abandon = theta E[queue] / lambda (abandon rate
    over arrival rate); a caller who finds m others queued is answered with probability
    N mu / c(m) after a wait whose mean is sum_{i<=m} 1 / c(i), c(i) = N mu + (i + 1) theta,
    which gives the ASA of answered calls exactly. Service level is numerically exact from
    the chain too: the share of arrivals answered after waiting exactly t has density
    N mu pi(N) exp((lambda/theta)(1 - e^{-theta t}) - (N mu + theta) t), the closed-form
    solution of the forward equations of a queued caller's position; it is integrated over
    [0, T] by adaptive Simpson (1e-13 per panel, split at the density's single peak).

    Raises ValueError, like bad inputs, if the chain needs more than MAX_CHAIN_STATES states
    (an overloaded queue whose callers wait for days).
    """
    _check_agents(agents)
    _check_positive("patience_s", patience_s)
    _check_target_seconds(target_seconds)
    traffic = traffic_erlangs(calls_per_hour, aht_s)
    lam = calls_per_hour / 3600.0
    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    service_rate = agents * mu

    # Running sums, all scaled by exp(-log_max) so the largest weight seen so far is 1.
    log_w = log_max = 0.0
    total = 1.0  # state 0
    waiting = queue = answered_wait = 0.0
    log_w_at_agents = 0.0
    mean_wait_if_answered = 0.0  # sum over i <= m of 1 / c(i), built up as m grows
    n = 0
    while True:
        n += 1
        if n > MAX_CHAIN_STATES:
            raise ValueError(
                "patience_s is too long for this overloaded queue to be computed with Erlang A; "
                "use Erlang C or add agents"
            )
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        log_w += math.log(lam / death)
        if log_w > log_max:
            scale = math.exp(log_max - log_w)
            total *= scale
            waiting *= scale
            queue *= scale
            answered_wait *= scale
            log_max = log_w
        w = math.exp(log_w - log_max)
        total += w
        if n < agents:
            continue
        m = n - agents
        if m == 0:
            log_w_at_agents = log_w
        c = service_rate + (m + 1) * theta  # leaving rate of the last in queue; also d(n + 1)
        mean_wait_if_answered += 1.0 / c
        waiting += w
        queue += m * w
        answered_wait += w * (service_rate / c) * mean_wait_if_answered
        ratio = lam / c
        if ratio < 1.0 and w * ratio / (1.0 - ratio) <= TRUNCATION_EPSILON * total:
            break

    p_wait = waiting / total
    p_abandon = theta * (queue / total) / lam
    log_pi_agents = log_w_at_agents - (log_max + math.log(total))

    def answer_density(t: float) -> float:
        exponent = (lam / theta) * -math.expm1(-theta * t) - (service_rate + theta) * t
        return service_rate * math.exp(log_pi_agents + exponent)

    # The exponent is concave in t, so the density peaks once; integrate each monotone side.
    peak = 0.0
    if lam > service_rate + theta:
        peak = min(target_seconds, math.log(lam / (service_rate + theta)) / theta)
    answered_after_wait = _integrate_simpson(answer_density, 0.0, peak) + _integrate_simpson(
        answer_density, peak, target_seconds
    )
    service_level = min(1.0, max(0.0, (1.0 - p_wait) + answered_after_wait))

    return ErlangAResult(
        agents=agents,
        traffic_erlangs=traffic,
        target_seconds=target_seconds,
        patience_seconds=patience_s,
        p_wait=p_wait,
        p_abandon=p_abandon,
        service_level=service_level,
        asa_seconds=(answered_wait / total) / (1.0 - p_abandon),
        occupancy=min(1.0, traffic * (1.0 - p_abandon) / agents),  # rounding can nudge past 1
    )


def _check_share(name: str, value: float, *, closed_top: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and 0 < value and (value <= 1 if closed_top else value < 1)
    if not ok:
        interval = "(0, 1]" if closed_top else "(0, 1)"
        raise ValueError(f"{name} must be within {interval}, got {value!r}")


def agents_for_service_level(
    calls_per_hour: float,
    aht_s: float,
    target_seconds: float,
    sl_target: float,
    max_occupancy: float | None = None,
    *,
    patience_s: float | None = None,
) -> ErlangCResult | ErlangAResult:
    """Smallest number of agents whose service level within `target_seconds` reaches `sl_target`.

    With `max_occupancy`, the staffing must also keep agents at or below that occupancy, so
    that planners can protect agents from burnout even where the service level alone would
    allow fewer. Returns the figures at that staffing.

    Erlang C (default): fewer than floor(A) + 1 agents can never meet a target, so the search
    walks upward from there, advancing the Erlang B recursion one agent per step: the cost is
    O(A + extra agents), fine for thousands of erlangs.

    Erlang A (`patience_s` given): every staffing is stable, so the search doubles an upper
    bound from ceil(A) and then bisects, relying on service level and occupancy improving
    with every added agent; each probe sums the chain once.
    """
    _check_target_seconds(target_seconds)
    _check_share("sl_target", sl_target, closed_top=False)
    if max_occupancy is not None:
        _check_share("max_occupancy", max_occupancy, closed_top=True)
    traffic = traffic_erlangs(calls_per_hour, aht_s)

    def meets(result: ErlangCResult | ErlangAResult) -> bool:
        return result.service_level >= sl_target and (max_occupancy is None or result.occupancy <= max_occupancy)

    if patience_s is not None:

        def at(n: int) -> ErlangAResult:
            return erlang_a(n, calls_per_hour, aht_s, patience_s, target_seconds)

        low, high = 0, max(1, math.ceil(traffic))  # `low` never meets the target
        best = at(high)
        while not meets(best):
            low, high = high, 2 * high
            best = at(high)
        while high - low > 1:
            middle = (low + high) // 2
            probe = at(middle)
            if meets(probe):
                high, best = middle, probe
            else:
                low = middle
        return best

    agents = math.floor(traffic) + 1
    blocking = erlang_b(agents, traffic)
    while True:
        result = _erlang_c_result(agents, traffic, blocking, aht_s, target_seconds)
        if meets(result):
            return result
        agents += 1
        blocking = _erlang_b_step(agents, traffic, blocking)
