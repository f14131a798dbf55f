"""Reactions between domains, connected once per process.

A domain package never imports one above it; where a lower one must let a higher one react (a
customer's segment changes, so the ticket store recomputes SLA clocks), the lower one offers a
listener hook and this module connects the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("contactcenter.wiring")
# Where "tickets changed" is published: the Redis client a resolver gives (a web process asks the
# request's app, since tests hold several apps on different databases), else the process's own.
_announce_to: list[Any] = []
_resolvers: list[Callable[[], Any]] = []


def connect_domains() -> None:
    """Called whenever a runtime is made, so every process (and test) has the wiring; connecting
    twice does nothing (each hook keeps a listener once)."""
    from contactcenter.contacts import customers, merge
    from contactcenter.tickets import services as tickets, sla

    customers.on_segment_changed(sla.recompute_for_customer)
    merge.on_merging(_move_open_tickets)
    merge.on_merging(_drop_merged_figures)
    tickets.on_solved(_survey_by_mail)
    tickets.on_solved(_survey_by_text)


def announce_ticket_changes(redis_client: Any) -> None:
    """Let open ticket views hear of changes made outside a web request (RQ jobs such as SLA
    escalations, the ticker): after each commit that changed a ticket, one PUBLISH on the channel
    the web processes relay as a "tickets changed" nudge."""
    _announce_to[:] = [redis_client]
    _listen()


def announce_ticket_changes_through(resolver: Callable[[], Any]) -> None:
    """The same for a web process: `resolver` gives the Redis client of the request being served
    (None outside a request, where the process's own client, if any, is told)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    _listen()


def stop_announcing_ticket_changes() -> None:
    _announce_to.clear()


def _listen() -> None:
    if not event.contains(Session, "after_commit", _announce):
        event.listen(Session, "after_commit", _announce)
    if not event.contains(Session, "after_commit", _send_queued_messages):
        event.listen(Session, "after_commit", _send_queued_messages)
        event.listen(Session, "after_rollback", _forget_queued_messages)


def _send_queued_messages(session: Session) -> None:
    """Queue the sending job of every e-mail and text this commit stored (contactcenter.mail and
    contactcenter.sms outbound); without Redis a message stays "queued" and the ticket shows it
    unsent (an e-mail can be sent again from there)."""
    from contactcenter.app.tasks.mail import send_mail
    from contactcenter.app.tasks.sms import send_sms
    from contactcenter.mail import outbound as mail_outbound
    from contactcenter.sms import outbound as sms_outbound

    jobs: list[tuple[Any, str, int]] = [(send_mail, "e-mail", i) for i in mail_outbound.take_outbox(session)]
    jobs += [(send_sms, "text", i) for i in sms_outbound.take_outbox(session)]
    target = _announce_target() if jobs else None
    for sender, what, message_id in jobs:
        try:
            if target is None:
                raise RuntimeError("no Redis to queue the job on")
            sender.enqueue(message_id, _connection=target)
        except Exception:  # noqa: BLE001 - the message is stored; the ticket shows it unsent
            log.warning("could not queue %s %s for sending", what, message_id, exc_info=True)


def _forget_queued_messages(session: Session) -> None:
    from contactcenter.mail import outbound as mail_outbound
    from contactcenter.sms import outbound as sms_outbound

    mail_outbound.take_outbox(session)  # rolled back: those messages do not exist
    sms_outbound.take_outbox(session)


def _announce_target() -> Any:
    for resolver in _resolvers:
        client = resolver()
        if client is not None:
            return client
    return _announce_to[0] if _announce_to else None


def _announce(session: Session) -> None:
    from contactcenter.tickets import views

    target = _announce_target()
    if target is None or not views.take_changed(session):
        return
    try:
        target.publish(views.TICKETS_CHANGED_CHANNEL, "1")
    except Exception:  # noqa: BLE001 - counts catch up on the next change or reload
        log.warning("could not announce a ticket change", exc_info=True)


def _survey_by_mail(session: Session, ticket: Any) -> None:
    """A solved e-mail ticket: its customer is asked how we did (once per ticket)."""
    from contactcenter.app import runtime
    from contactcenter.mail.surveys import mail_survey

    settings = runtime.current().settings
    mail_survey(
        session, ticket, base_url=settings.public_base_url or "http://localhost:8000", secret_key=settings.secret_key
    )


def _survey_by_text(session: Session, ticket: Any) -> None:
    """A solved SMS ticket: its customer is texted the 1–5 question (once per ticket)."""
    from contactcenter.sms.surveys import text_survey

    text_survey(session, ticket)


def _drop_merged_figures(session: Any, survivor_id: int, duplicate_id: int, origin: Any) -> None:
    """Customers merging: the duplicate's value figures (one row per model and customer) go; its
    orders move to the survivor with the merge, and the next recompute scores the survivor on all
    of them."""
    from sqlalchemy import delete

    from contactcenter.analytics.models import CustomerModelScore
    from contactcenter.analytics.segments import SegmentSnapshot

    session.execute(delete(CustomerModelScore).where(CustomerModelScore.customer_id == duplicate_id))
    # One snapshot per customer and day: the survivor's history stays, the duplicate's goes.
    session.execute(delete(SegmentSnapshot).where(SegmentSnapshot.customer_id == duplicate_id))


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
