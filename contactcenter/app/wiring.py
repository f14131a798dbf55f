"""Reactions between domains, connected once per process.

A domain package never imports one above it; where a lower one must let a higher one react (a
customer's segment changes, so the ticket store recomputes SLA clocks), the lower one offers a
listener hook and this module connects the two.
"""

from __future__ import annotations

from typing import Any


def connect_domains() -> None:
    """Called whenever a runtime is made, so every process (and test) has the wiring; connecting
    twice does nothing (each hook keeps a listener once)."""
    from contactcenter.contacts import customers, merge
    from contactcenter.tickets import sla

    customers.on_segment_changed(sla.recompute_for_customer)
    merge.on_merging(_move_open_tickets)


def _move_open_tickets(session: Any, survivor_id: int, duplicate_id: int, origin: Any) -> None:
    """Customers merging: the duplicate's tickets still in progress change customer through the
    ticket store, so their trail shows it and their SLA clocks follow the survivor's segment
    (closed and merged tickets are final; the merge moves them as they are)."""
    from sqlalchemy import select

    from contactcenter.tickets.models import Ticket
    from contactcenter.tickets.services import update_ticket

    open_ones = session.scalars(
        select(Ticket).where(Ticket.customer_id == duplicate_id, Ticket.status.not_in(("closed", "merged")))
    )
    for ticket in open_ones.all():
        update_ticket(session, ticket, {"customer_id": survivor_id}, actor_id=origin.actor_id if origin else None)
