"""SQL records of the dialer: campaigns, leads, do-not-call entries, imports, attempts, decisions.

`DialAttempt` (every call placed) and `DialDecision` (every lead the gate refused to dial, with its
reason) are the records that prove compliance: they are written in the same transaction as the
lead change they explain.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base


class CampaignStatus(str, enum.Enum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class DialMode(str, enum.Enum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class AmdAction(str, enum.Enum):
    HANGUP = "hangup"
    MESSAGE = "message"


class LeadOrder(str, enum.Enum):
    FIFO = "fifo"  # import order
    LIFO = "lifo"  # newest first
    PRIORITY = "priority"  # highest priority first, then import order
    FEWEST_ATTEMPTS = "fewest_attempts"


class LeadStatus(str, enum.Enum):
    READY = "ready"  # may be dialed from next_attempt_at on
    DIALING = "dialing"  # a call is in flight
    DONE = "done"  # reached, with a final disposition
    DNC = "dnc"  # on a do-not-call list: never dialed again
    EXHAUSTED = "exhausted"  # max attempts reached
    INVALID = "invalid"  # can never be dialed (no calling window, region not allowed)


DEFAULT_DISPOSITIONS: list[dict[str, Any]] = [
    {"code": "sale", "label": "Sale", "final": True},
    {"code": "no_sale", "label": "No sale", "final": True},
    {"code": "callback", "label": "Call back later", "final": False},
    {"code": "not_interested", "label": "Not interested", "final": True},
    {"code": "wrong_number", "label": "Wrong number", "final": True},
    {"code": "do_not_call", "label": "Do not call", "final": True, "dnc": True},
]

DEFAULT_RETRY_DELAYS: dict[str, int] = {
    "busy": 15 * 60,
    "no-answer": 2 * 3600,
    "machine": 4 * 3600,
    "failed": 30 * 60,
    "canceled": 30 * 60,
    "abandoned": 3600,
}

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Campaign(Base):
    __tablename__ = "dialer_campaigns"
    __table_args__ = (
        CheckConstraint("status IN ('draft','running','paused','stopped')", name="status_known"),
        CheckConstraint("dial_mode IN ('preview','progressive','predictive')", name="dial_mode_known"),
        CheckConstraint("rule_set IN ('US','UK')", name="rule_set_known"),
        CheckConstraint("amd_action IN ('hangup','message')", name="amd_action_known"),
        CheckConstraint("lead_order IN ('fifo','lifo','priority','fewest_attempts')", name="lead_order_known"),
        CheckConstraint("abandon_cap >= 0 AND abandon_cap <= 0.03", name="abandon_cap_range"),
        CheckConstraint("ring_timeout_s >= 15 AND ring_timeout_s <= 120", name="ring_timeout_range"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("max_dial_ratio >= 1", name="max_dial_ratio_at_least_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT.value, index=True)
    dial_mode: Mapped[str] = mapped_column(String(16), default=DialMode.PROGRESSIVE.value)
    # Which regulations the campaign is measured by: "US" (TSR/TCPA) or "UK" (Ofcom).
    rule_set: Mapped[str] = mapped_column(String(8), default="US")
    # The agents: members of this queue, plus any listed in dialer_campaign_agents.
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), index=True)
    script: Mapped[str] = mapped_column(Text, default="")
    dispositions: Mapped[list[Any]] = mapped_column(default=lambda: [dict(d) for d in DEFAULT_DISPOSITIONS])
    # Abandoned / live-answered, per regulatory period (the rule set's, or stricter).
    abandon_cap: Mapped[float] = mapped_column(default=0.03)
    ring_timeout_s: Mapped[int] = mapped_column(default=25)
    caller_id: Mapped[str] = mapped_column(String(20))
    # Who the safe-harbor message names, and the number it gives to call back.
    company_name: Mapped[str] = mapped_column(String(120))
    callback_number: Mapped[str] = mapped_column(String(20))
    safe_harbor_message: Mapped[str | None] = mapped_column(Text)
    # Calling window in the called party's local time, e.g.
    # {"start": "09:00", "end": "20:00", "days": ["mon", ...], "holidays": ["2026-12-25"],
    #  "regions": {"US-FL": {"start": "08:00", "end": "20:00"}}}; missing keys: the rule set's.
    calling_window: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Regions leads may be in: ISO region codes ("US") or calling codes ("+44"); empty: the rule set's.
    allowed_regions: Mapped[list[Any]] = mapped_column(default=list)
    # Time zone the campaign reports in; UK periods (24 h) start at its midnight.
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    amd_enabled: Mapped[bool] = mapped_column(default=True)
    amd_action: Mapped[str] = mapped_column(String(16), default=AmdAction.HANGUP.value)
    amd_message: Mapped[str | None] = mapped_column(Text)
    # Share of "machine" verdicts that were live people (the reasoned estimate Ofcom asks for).
    amd_false_positive_share: Mapped[float] = mapped_column(default=0.05)
    max_attempts: Mapped[int] = mapped_column(default=3)
    # Seconds before a lead is tried again after: busy, no-answer, machine, failed, canceled, abandoned.
    retry_delays: Mapped[dict[str, Any]] = mapped_column(default=lambda: dict(DEFAULT_RETRY_DELAYS))
    lead_order: Mapped[str] = mapped_column(String(16), default=LeadOrder.FIFO.value)
    max_dial_ratio: Mapped[float] = mapped_column(default=3.0)
    # Take due leads by expected value × contact probability (see `value_order`), not `lead_order`.
    order_by_value: Mapped[bool] = mapped_column(default=False)
    # What a lead whose number matches no scored customer is worth, for that ordering.
    default_lead_value: Mapped[float] = mapped_column(default=0.0)
    # Pacer tuning (target_share, exposure_confidence, expected_answer_rate, expected_talk_s, ...).
    pacing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    # First start: the regulatory periods count from here (pausing does not reset them).
    started_at: Mapped[datetime | None] = mapped_column()
    paused_at: Mapped[datetime | None] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()

    agents: Mapped[list[CampaignAgent]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", lazy="selectin"
    )


class CampaignAgent(Base):
    __tablename__ = "dialer_campaign_agents"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="agents")


class LeadImport(Base):
    """One CSV import: its counts and, in `counts`, rejections by reason."""

    __tablename__ = "dialer_lead_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="cli")
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column()


class LeadImportRejection(Base):
    """A row that was not imported, why, and the row itself (so nothing is lost)."""

    __tablename__ = "dialer_lead_import_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("dialer_lead_imports.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(255), default="")
    raw: Mapped[str] = mapped_column(Text, default="")
    raw_truncated: Mapped[bool] = mapped_column(default=False)


class Lead(Base):
    __tablename__ = "dialer_leads"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone"),
        CheckConstraint("status IN ('ready','dialing','done','dnc','exhausted','invalid')", name="status_known"),
        Index("ix_dialer_leads_due", "campaign_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # IANA zones the number may be in (the lead's own column when given, else phonenumbers').
    time_zones: Mapped[list[Any]] = mapped_column(default=list)
    time_zone_source: Mapped[str] = mapped_column(String(16), default="number")
    region: Mapped[str | None] = mapped_column(String(8))  # "US-CA", "GB"
    country: Mapped[str | None] = mapped_column(String(2))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=LeadStatus.READY.value)
    priority: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_abandoned_at: Mapped[datetime | None] = mapped_column()
    disposition: Mapped[str | None] = mapped_column(String(64))
    # Preview: the agent the lead is held for while they read it.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A callback the lead asked for: due from `callback_at`, dialed before every other due lead
    # until someone reaches them. With `callback_agent_id` it is that agent's (dialed only for
    # them); without, anyone's. A plain column (no foreign key): adding one to a filled table
    # would need the SQLite table rebuild; the services check the user.
    callback_at: Mapped[datetime | None] = mapped_column()
    callback_agent_id: Mapped[int | None] = mapped_column(index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("dialer_lead_imports.id", ondelete="SET NULL"), index=True)
    line: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class DncEntry(Base):
    """A number not to call: company-wide (campaign_id NULL, the internal list) or per campaign."""

    __tablename__ = "dialer_dnc_entries"
    __table_args__ = (UniqueConstraint("phone", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"), index=True)
    # manual, disposition, import, api, national
    source: Mapped[str] = mapped_column(String(32), default="manual")
    reason: Mapped[str] = mapped_column(String(255), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column()


class DialAttempt(Base):
    """One call placed to a lead, from claim to its last status callback."""

    __tablename__ = "dialer_attempts"
    __table_args__ = (
        Index("ix_dialer_attempts_campaign_placed", "campaign_id", "placed_at"),
        Index("ix_dialer_attempts_campaign_answered", "campaign_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("dialer_leads.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    caller_id: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(16))
    attempt_number: Mapped[int] = mapped_column(default=1)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Last carrier CallStatus (queued, ringing, in-progress, completed, busy, no-answer, ...).
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # In our terms: connected, abandoned, machine, busy, no-answer, failed, canceled, hangup.
    outcome: Mapped[str | None] = mapped_column(String(32))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(default=clock.now)
    placed_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    connected_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    abandoned: Mapped[bool] = mapped_column(default=False)
    safe_harbor_played: Mapped[bool] = mapped_column(default=False)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    ring_timeout_s: Mapped[int] = mapped_column(default=25)
    # The called party's local time(s) when we dialed, e.g. "America/Chicago 2026-01-05T10:12:00".
    local_time: Mapped[str] = mapped_column(String(255), default="")
    disposition: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(255))
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))

    @property
    def in_flight(self) -> bool:
        return self.ended_at is None and self.connected_at is None and not self.abandoned


class DialDecision(Base):
    """A lead the gate did not dial, and why: skipped for good or deferred to `retry_at`."""

    __tablename__ = "dialer_decisions"
    __table_args__ = (
        CheckConstraint("action IN ('skip','defer')", name="action_known"),
        Index("ix_dialer_decisions_campaign_at", "campaign_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dialer_campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("dialer_leads.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(default=clock.now)
    action: Mapped[str] = mapped_column(String(8))
    # dnc_internal, dnc_campaign, outside_window, no_calling_window, max_attempts, redial_guard,
    # region_not_allowed
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    retry_at: Mapped[datetime | None] = mapped_column()
