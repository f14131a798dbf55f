"""Service-level formulas a queue may be measured by: which calls count as answered in
threshold and which as offered (short abandons in or out). A queue setting, so it lives with
the queues; the interval statistics compute them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlFormula:
    name: str
    kind: str  # "offered", "late-abandons" or "in-t"
    exclude_short: bool

    @property
    def label(self) -> str:
        base = {
            "offered": "answered_in_t / offered",
            "late-abandons": "answered_in_t / (answered + abandoned_after_t)",
            "in-t": "(answered_in_t + abandoned_in_t) / offered",
        }[self.kind]
        return base + (" (short abandons excluded)" if self.exclude_short else " (short abandons included)")

    def compute(
        self,
        answered: int,
        answered_in_t: int,
        abandoned_in_t: int,
        abandoned_after_t: int,
        short_in_t: int,
        short_after_t: int,
    ) -> float | None:
        if self.exclude_short:
            abandoned_in_t -= short_in_t
            abandoned_after_t -= short_after_t
        offered = answered + abandoned_in_t + abandoned_after_t
        if self.kind == "offered":
            num, den = answered_in_t, offered
        elif self.kind == "late-abandons":
            num, den = answered_in_t, answered + abandoned_after_t
        else:
            num, den = answered_in_t + abandoned_in_t, offered
        return num / den if den else None


FORMULAS: dict[str, SlFormula] = {
    f"{kind}{suffix}": SlFormula(f"{kind}{suffix}", kind, bool(suffix))
    for kind in ("offered", "late-abandons", "in-t")
    for suffix in ("", "-no-short")
}
DEFAULT_FORMULA = "offered"
