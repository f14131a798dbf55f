"""RFM: recency, frequency and monetary quintile scores (1 to 5, 5 best) and segments by rules.

Scores are quintiles by rank among the customers scored together, so "5" always means the top
fifth whatever the business's scale. A segment is the first rule whose score ranges the customer
falls in; the rules are data (`DEFAULT_RULES`, or the company's own from the
`ANALYTICS_SEGMENT_RULES` setting), and each rule names the service tier (standard, silver, gold,
vip) the customer gets when the company lets RFM set the hand-set segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from contactcenter.analytics.clv import Array
from contactcenter.errors import DomainError

TIERS = ("standard", "silver", "gold", "vip")


class SegmentRulesError(DomainError):
    kind = "invalid"
    code = "bad_segment_rules"


@dataclass(frozen=True)
class SegmentRule:
    name: str
    recency: tuple[int, int] = (1, 5)
    frequency: tuple[int, int] = (1, 5)
    monetary: tuple[int, int] = (1, 5)
    tier: str = "standard"

    def matches(self, r: int, f: int, m: int) -> bool:
        return (
            self.recency[0] <= r <= self.recency[1]
            and self.frequency[0] <= f <= self.frequency[1]
            and self.monetary[0] <= m <= self.monetary[1]
        )


DEFAULT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", recency=(4, 5), frequency=(4, 5), monetary=(4, 5), tier="vip"),
    SegmentRule("loyal", recency=(3, 5), frequency=(3, 5), tier="gold"),
    SegmentRule("new", recency=(5, 5), frequency=(1, 1), tier="silver"),
    SegmentRule("promising", recency=(4, 5), frequency=(1, 2), tier="silver"),
    SegmentRule("at_risk", recency=(1, 2), frequency=(3, 5), tier="silver"),
    SegmentRule("about_to_sleep", recency=(3, 3), frequency=(1, 2)),
    SegmentRule("hibernating", recency=(1, 2), frequency=(1, 2)),
)
FALLBACK = "others"


def parse_rules(text: str) -> tuple[SegmentRule, ...]:
    """Rules from JSON: [{"name": "champions", "recency": [4, 5], "frequency": [4, 5],
    "monetary": [1, 5], "tier": "vip"}, ...]; ranges default to [1, 5], tier to standard."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SegmentRulesError(f"segment rules are not JSON: {exc}") from exc
    if not isinstance(data, list) or not data or len(data) > 50:
        raise SegmentRulesError("segment rules must be a list of 1 to 50 rules")
    rules = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise SegmentRulesError(f"rule {i} needs a name")
        unknown = set(item) - {"name", "recency", "frequency", "monetary", "tier"}
        if unknown:
            raise SegmentRulesError(f"rule {i} has unknown keys: {', '.join(sorted(unknown))}")
        ranges = []
        for key in ("recency", "frequency", "monetary"):
            value = item.get(key, [1, 5])
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(isinstance(v, int) and 1 <= v <= 5 for v in value)
                or value[0] > value[1]
            ):
                raise SegmentRulesError(f"rule {i}: {key} must be [low, high] scores from 1 to 5")
            ranges.append((value[0], value[1]))
        tier = item.get("tier", "standard")
        if tier not in TIERS:
            raise SegmentRulesError(f"rule {i}: tier must be one of {', '.join(TIERS)}")
        rules.append(SegmentRule(item["name"].strip()[:64], ranges[0], ranges[1], ranges[2], tier))
    return tuple(rules)


def quintiles(values: Array) -> Array:
    """Scores 1..5 by rank (ties share the score of their average rank)."""
    n = len(values)
    if n == 0:
        return np.array([], dtype=int)
    order = values.argsort(kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    # average ranks over ties
    sorted_values = values[order]
    _, starts, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    for s, c in zip(starts, counts, strict=True):
        if c > 1:
            ranks[order[s : s + c]] = s + (c - 1) / 2
    result: Array = np.minimum(5, 1 + np.floor(5 * ranks / n)).astype(int)
    return result


@dataclass(frozen=True)
class RfmScore:
    recency: int
    frequency: int
    monetary: int
    segment: str
    tier: str


def score(
    recency_days: Array, purchases: Array, spend: Array, rules: tuple[SegmentRule, ...] = DEFAULT_RULES
) -> list[RfmScore]:
    """Scores and segments for customers scored together (recent = high R)."""
    r = quintiles(-recency_days)
    f = quintiles(purchases)
    m = quintiles(spend)
    result = []
    for ri, fi, mi in zip(r.tolist(), f.tolist(), m.tolist(), strict=True):
        rule = next((rule for rule in rules if rule.matches(ri, fi, mi)), None)
        result.append(RfmScore(ri, fi, mi, rule.name if rule else FALLBACK, rule.tier if rule else "standard"))
    return result
