"""Dialer figures per campaign over local days: dials, live answers, connects, abandons, and the
abandon rate of the regulatory period as compliance measures it.

Each count is taken at the instant it happened, cut in the report's time zone:

* dials — attempts placed (`placed_at`) in the window;
* live answers — a person answered (`answered_at`; answering machines are not live);
* connects — an agent was connected (`connected_at`);
* abandoned — no agent within the connect window, or the person hung up first (`abandoned`,
  counted at `ended_at`); machines — answering-machine verdicts (counted at `ended_at`);
* connect rate = connects ÷ dials; abandon rate = abandoned ÷ live answers, both over the window.

The regulated figure is different on purpose: `period_abandon_rate` is the campaign's current
regulatory period (30 days under US rules, 24 hours under UK rules, see `dialer.compliance`) as
of the window's end (or now, if sooner), recounted by `ledger_records.abandonment_report`, the
same number the pacer is held to and a regulator would compute; UK periods add the estimated
AMD false positives. It is shown against the campaign's cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer.ledger_records import abandonment_report
from contactcenter.dialer.models import Campaign, DialAttempt
from contactcenter.tickets.intervals import Window, zone
from contactcenter.tickets.reports import csv_text

DIALER_FIELDS = [
    "campaign",
    "rule_set",
    "status",
    "dials",
    "live_answered",
    "connects",
    "abandoned",
    "machines",
    "connect_rate",
    "abandon_rate",
    "period",
    "period_live_answered",
    "period_abandoned",
    "period_abandon_rate",
    "cap",
]


@dataclass(frozen=True)
class CampaignFigures:
    campaign_id: int
    campaign: str
    rule_set: str
    status: str
    dials: int
    live_answered: int
    connects: int
    abandoned: int
    machines: int
    period: int
    period_live_answered: int
    period_abandoned: int
    period_abandon_rate: float
    cap: float

    @property
    def connect_rate(self) -> float | None:
        return self.connects / self.dials if self.dials else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.live_answered if self.live_answered else None

    @property
    def over_cap(self) -> bool:
        return self.period_abandon_rate > self.cap

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "campaign": self.campaign,
            "rule_set": self.rule_set,
            "status": self.status,
            "dials": self.dials,
            "live_answered": self.live_answered,
            "connects": self.connects,
            "abandoned": self.abandoned,
            "machines": self.machines,
            "connect_rate": self.connect_rate,
            "abandon_rate": self.abandon_rate,
            "period": self.period,
            "period_live_answered": self.period_live_answered,
            "period_abandoned": self.period_abandoned,
            "period_abandon_rate": self.period_abandon_rate,
            "cap": self.cap,
        }


@dataclass(frozen=True)
class DialerReport:
    first: date
    last: date
    time_zone: str
    period_at: datetime
    rows: list[CampaignFigures]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": self.time_zone,
            "period_at": self.period_at.isoformat(),
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_csv(self) -> str:
        return csv_text(DIALER_FIELDS, [r.to_dict() for r in self.rows])

    def lines(self) -> list[str]:
        out = [
            f"Dialer campaigns, {self.first} to {self.last} ({self.time_zone}); "
            f"regulatory period as of {self.period_at.isoformat()}"
        ]
        if not self.rows:
            return out + ["no campaign dialed in this window"]
        header = (
            f"{'campaign':<24} {'rules':<5} {'dials':>6} {'live':>6} {'conn':>6} {'aband':>6} {'mach':>6} "
            f"{'aband %':>8} {'period %':>8} {'cap':>6}"
        )
        out += [header, "-" * len(header)]
        for r in self.rows:
            rate = "-" if r.abandon_rate is None else f"{r.abandon_rate:.1%}"
            flag = " over cap" if r.over_cap else ""
            out.append(
                f"{r.campaign[:24]:<24} {r.rule_set:<5} {r.dials:>6} {r.live_answered:>6} {r.connects:>6} "
                f"{r.abandoned:>6} {r.machines:>6} {rate:>8} {r.period_abandon_rate:>8.1%} {r.cap:>6.1%}{flag}"
            )
        return out


def _count_by_campaign(session: Session, column: Any, lower: datetime, upper: datetime, *extra: Any) -> dict[int, int]:
    query = (
        select(DialAttempt.campaign_id, func.count())
        .where(and_(column >= lower, column < upper, *extra))
        .group_by(DialAttempt.campaign_id)
    )
    return {campaign_id: count for campaign_id, count in session.execute(query)}


def dialer_report(
    session: Session, first: date, last: date, *, time_zone: str = "UTC", now: datetime | None = None
) -> DialerReport:
    """Campaigns that dialed in local days [first, last] or are running now, by name."""
    now = now or clock.now()
    window = Window(first, last, zone(time_zone))
    lower, upper = window.lower, window.upper
    dials = _count_by_campaign(session, DialAttempt.placed_at, lower, upper)
    live = _count_by_campaign(session, DialAttempt.answered_at, lower, upper)
    connects = _count_by_campaign(session, DialAttempt.connected_at, lower, upper)
    abandoned = _count_by_campaign(session, DialAttempt.ended_at, lower, upper, DialAttempt.abandoned.is_(True))
    machines = _count_by_campaign(session, DialAttempt.ended_at, lower, upper, DialAttempt.outcome == "machine")
    active = set(dials) | set(live) | set(connects) | set(abandoned) | set(machines)
    period_at = min(upper, now)
    rows = []
    for campaign in session.scalars(select(Campaign).order_by(Campaign.name)):
        if campaign.id not in active and campaign.status != "running":
            continue
        period = abandonment_report(session, campaign, period_at)
        rows.append(
            CampaignFigures(
                campaign_id=campaign.id,
                campaign=campaign.name,
                rule_set=campaign.rule_set,
                status=campaign.status,
                dials=dials.get(campaign.id, 0),
                live_answered=live.get(campaign.id, 0),
                connects=connects.get(campaign.id, 0),
                abandoned=abandoned.get(campaign.id, 0),
                machines=machines.get(campaign.id, 0),
                period=int(period["period"]),
                period_live_answered=int(period["live_answered"]),
                period_abandoned=int(period["abandoned"]),
                period_abandon_rate=float(period["abandon_rate"]),
                cap=float(campaign.abandon_cap),
            )
        )
    return DialerReport(first, last, time_zone, period_at, rows)
