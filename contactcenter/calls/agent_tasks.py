"""An agent's task list beside the live call: the callbacks they promised, the tickets they own.

The desktop shows these in its left column; offers and the current call come from the ACD. Small
and bounded on purpose: the desktop asks again on every snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer.models import Campaign, Lead, LeadStatus
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.views import ACTIVE

MAX_ITEMS = 8
CALLBACKS_AHEAD = timedelta(hours=12)  # a callback shows from this long before it is due


@dataclass(frozen=True)
class Callback:
    lead_id: int
    campaign: str
    name: str
    phone: str
    at: datetime
    due: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "campaign": self.campaign,
            "name": self.name,
            "phone": self.phone,
            "at": clock.as_utc(self.at).isoformat(),
            "due": self.due,
        }


def callbacks_for(session: Session, agent_id: int, now: datetime | None = None) -> list[Callback]:
    """The agent's own callbacks still to make, due ones first, up to CALLBACKS_AHEAD ahead."""
    now = now or clock.now()
    rows = session.execute(
        select(Lead, Campaign.name)
        .join(Campaign, Campaign.id == Lead.campaign_id)
        .where(
            Lead.callback_agent_id == agent_id,
            Lead.status == LeadStatus.READY.value,
            Lead.callback_at.is_not(None),
            Lead.callback_at <= now + CALLBACKS_AHEAD,
        )
        .order_by(Lead.callback_at)
        .limit(MAX_ITEMS)
    ).all()
    out = []
    for lead, campaign in rows:
        at = lead.callback_at
        assert at is not None
        out.append(Callback(lead.id, campaign, lead.name, lead.phone, at, clock.as_utc(at) <= now))
    return out


def tickets_for(session: Session, agent_id: int) -> list[dict[str, Any]]:
    """Open tickets assigned to the agent, the ones whose SLA falls due first on top."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id == agent_id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.updated_at.desc())
        .limit(MAX_ITEMS)
    )
    return [
        {
            "id": t.id,
            "subject": t.subject,
            "status": t.status,
            "priority": t.priority,
            "sla_due_at": clock.as_utc(t.sla_due_at).isoformat() if t.sla_due_at else None,
        }
        for t in tickets
    ]


def tasks_for(session: Session, agent_id: int, now: datetime | None = None) -> dict[str, Any]:
    return {
        "callbacks": [c.as_dict() for c in callbacks_for(session, agent_id, now)],
        "tickets": tickets_for(session, agent_id),
    }
