"""The customer page's picture of one customer: their profile and calls (contacts), their tickets
with SLA state (tickets), the campaigns their numbers are leads in and whether each number may
be called (dialer).

It lives here because contacts sits below tickets and the dialer and may not reach up to them;
this package sits above all three. Agents see only the tickets and calls the REST API shows
them (`contactcenter.tickets.access`); the customer record itself is open to all staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics.services import CustomerFigures, customer_figures
from contactcenter.contacts import profile as profiles
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.contacts.profile import Profile
from contactcenter.dialer import dnc
from contactcenter.dialer.dnc import DncHit
from contactcenter.dialer.models import Campaign, Lead
from contactcenter.tickets import access, sla
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.sla import ClockView
from contactcenter.tickets.views import ACTIVE

TICKET_LIMIT = 100
OPEN_TICKET_LIMIT = 50


@dataclass(frozen=True)
class OpenTicket:
    ticket: Ticket
    clocks: list[ClockView]

    @property
    def breached(self) -> bool:
        return any(c.status == "breached" for c in self.clocks)

    @property
    def due_at(self) -> datetime | None:
        """The next deadline still counting: what the agent must beat."""
        running = [c.deadline for c in self.clocks if c.status == "running" and c.deadline is not None]
        return min(running) if running else None


@dataclass(frozen=True)
class TimelineEntry:
    """A call or a ticket, at the moment it began."""

    at: datetime
    kind: str  # "call" or "ticket"
    call: Interaction | None = None
    ticket: Ticket | None = None


@dataclass(frozen=True)
class NumberStatus:
    e164: str
    label: str
    do_not_call: DncHit | None


@dataclass(frozen=True)
class Membership:
    """One lead of the customer's in a campaign, and whether the campaign may dial it."""

    campaign: Campaign
    lead: Lead
    do_not_call: DncHit | None


@dataclass(frozen=True)
class CustomerView:
    profile: Profile
    open_tickets: list[OpenTicket]
    timeline: list[TimelineEntry]
    numbers: list[NumberStatus]
    campaigns: list[Membership]
    # Segment, value tier, 12-month CLV and P(alive) as last recomputed; None before the first run.
    figures: CustomerFigures | None = None

    @property
    def customer(self) -> Customer:
        return self.profile.customer


def build(session: Session, customer_id: int, viewer: Viewer, now: datetime | None = None) -> CustomerView | None:
    """Everything the page shows of the customer for this viewer, or None if there is no such customer."""
    now = now or clock.now()
    profile = profiles.load(session, customer_id, access.interaction_filter(viewer))
    if profile is None:
        return None
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, access.ticket_filter(viewer))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(TICKET_LIMIT)
        )
    )
    # Asked for apart from the timeline's tickets: an old ticket still open matters most.
    still_open = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(ACTIVE), access.ticket_filter(viewer))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(OPEN_TICKET_LIMIT)
    )
    open_tickets = [OpenTicket(t, sla.clocks(session, t, now)) for t in still_open]
    open_tickets.sort(key=lambda o: (o.due_at is None, o.due_at or now, o.ticket.id))
    timeline = [TimelineEntry(c.arrived_at, "call", call=c) for c in profile.calls]
    timeline += [TimelineEntry(t.created_at, "ticket", ticket=t) for t in tickets]
    timeline.sort(key=lambda e: (e.at, e.kind == "ticket"), reverse=True)
    numbers = [p.e164 for p in profile.phones]
    internal = dnc.check_many(session, numbers, None, now)
    return CustomerView(
        profile=profile,
        open_tickets=open_tickets,
        timeline=timeline,
        numbers=[NumberStatus(p.e164, p.label, internal.get(p.e164)) for p in profile.phones],
        campaigns=_memberships(session, customer_id, numbers, now),
        figures=customer_figures(session, customer_id),
    )


def _memberships(session: Session, customer_id: int, numbers: list[str], now: datetime) -> list[Membership]:
    """Leads for the customer's numbers (or filed under the customer) in any campaign."""
    leads = session.execute(
        select(Lead, Campaign)
        .join(Campaign, Campaign.id == Lead.campaign_id)
        .where(or_(Lead.customer_id == customer_id, Lead.phone.in_(numbers)))
        .order_by(Campaign.name, Lead.phone)
    ).all()
    return [Membership(campaign, lead, dnc.check(session, lead.phone, campaign.id, now)) for lead, campaign in leads]
