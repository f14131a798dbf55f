from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Customer
from contactcenter.mail.inbound import UnknownMailbox, deliver
from contactcenter.mail.mailboxes import MailboxError, add_mailbox
from contactcenter.mail.models import MailMessage
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import TicketComment
from tests.support.factories import gen_customer, gen_queue
from tests.support.mail import gen_mail

SUPPORT = ["support@example.com"]


@pytest.fixture
def mailbox(db: Session):  # type: ignore[no-untyped-def]
    gen_queue(db, "support")
    return add_mailbox(db, "Support@Example.com", display_name="Acme Support", queue="support", signature="Acme")


def _comments(db: Session, ticket_id: int) -> list[TicketComment]:
    return list(
        db.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket_id).order_by(TicketComment.id))
    )


def test_new_mail_opens_an_email_ticket_in_the_mailbox_queue_for_a_new_customer(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    delivery = deliver(db, gen_mail(), SUPPORT)
    ticket = delivery.ticket
    assert delivery.created and ticket is not None
    assert (ticket.channel, ticket.queue_id, ticket.subject) == ("email", mailbox.queue_id, "My kettle broke")
    customer = db.get(Customer, ticket.customer_id)
    assert customer is not None and (customer.name, customer.email) == ("Ann Example", "ann@example.org")
    [comment] = _comments(db, ticket.id)
    assert (comment.author_kind, comment.public) == ("customer", True)
    assert comment.body == "Hello, my kettle stopped working yesterday."


def test_a_known_sender_is_the_existing_customer_whatever_the_case(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    known = gen_customer(db, "Ann Known", email="Ann@Example.org")
    ticket = deliver(db, gen_mail(), SUPPORT).ticket
    assert ticket is not None and ticket.customer_id == known.id


def test_a_reply_threads_by_in_reply_to(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    first = deliver(db, gen_mail(message_id="<first@example.org>"), SUPPORT).ticket
    second = deliver(db, gen_mail("Re: something else", "More detail.", in_reply_to="<first@example.org>"), SUPPORT)
    assert not second.created and second.ticket is not None and second.ticket.id == first.id  # type: ignore[union-attr]
    assert [c.body for c in _comments(db, first.id)][-1] == "More detail."  # type: ignore[union-attr]


def test_a_reply_threads_by_references_when_in_reply_to_is_unknown(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    first = deliver(db, gen_mail(message_id="<first@example.org>"), SUPPORT).ticket
    again = deliver(db, gen_mail(in_reply_to="<unknown@x>", references="<first@example.org> <unknown@x>"), SUPPORT)
    assert again.ticket is not None and first is not None and again.ticket.id == first.id


def test_the_ticket_number_in_the_subject_threads_for_the_tickets_customer(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    customer = gen_customer(db, "Ann", email="ann@example.org")
    ticket = tickets.open_ticket(db, "Phone call", customer_id=customer.id)
    delivery = deliver(db, gen_mail(f"Re: Phone call [#{ticket.id}]", "As discussed."), SUPPORT)
    assert delivery.ticket is not None and delivery.ticket.id == ticket.id


def test_a_stranger_cannot_write_into_a_ticket_by_its_number(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    customer = gen_customer(db, "Ann", email="ann@example.org")
    ticket = tickets.open_ticket(db, "Private matter", customer_id=customer.id)
    delivery = deliver(db, gen_mail(f"Re: [#{ticket.id}]", "I am Ann, honest", sender="mallory@evil.example"), SUPPORT)
    assert delivery.created and delivery.ticket is not None and delivery.ticket.id != ticket.id


def test_mail_to_a_solved_ticket_reopens_it(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    ticket = deliver(db, gen_mail(message_id="<first@example.org>"), SUPPORT).ticket
    assert ticket is not None
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    deliver(db, gen_mail(body="It broke again.", in_reply_to="<first@example.org>"), SUPPORT)
    assert ticket.status == "open"


def test_mail_to_a_closed_ticket_opens_a_linked_follow_up(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    ticket = deliver(db, gen_mail(message_id="<first@example.org>"), SUPPORT).ticket
    assert ticket is not None
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    tickets.change_status(db, ticket, "closed")
    follow_up = deliver(db, gen_mail(in_reply_to="<first@example.org>"), SUPPORT)
    assert follow_up.created and follow_up.ticket is not None and follow_up.ticket.id != ticket.id
    assert tickets.linked_tickets(db, follow_up.ticket.id) == [(ticket.id, "related")]


def test_mail_to_a_merged_ticket_lands_on_the_one_it_was_merged_into(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    first = deliver(db, gen_mail(message_id="<first@example.org>"), SUPPORT).ticket
    other = deliver(db, gen_mail("Another"), SUPPORT).ticket
    assert first is not None and other is not None
    tickets.merge_tickets(db, first, other)
    reply = deliver(db, gen_mail(in_reply_to="<first@example.org>"), SUPPORT)
    assert reply.ticket is not None and reply.ticket.id == other.id


def test_redelivery_of_the_same_message_files_it_once(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    raw = gen_mail(message_id="<once@example.org>")
    first = deliver(db, raw, SUPPORT)
    again = deliver(db, raw, SUPPORT)
    assert again.duplicate and again.ticket is not None and first.ticket is not None
    assert again.ticket.id == first.ticket.id
    assert len(_comments(db, first.ticket.id)) == 1


def test_an_auto_reply_is_kept_but_opens_no_ticket(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    delivery = deliver(db, gen_mail("Out of office", headers={"Auto-Submitted": "auto-replied"}), SUPPORT)
    assert delivery.ticket is None
    assert (delivery.message.status, delivery.message.ticket_id) == ("ignored", None)
    assert "Auto-Submitted" in delivery.message.note


def test_attachments_are_stored_and_named_on_the_ticket(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    raw = gen_mail(attachments=[("photo.png", "image/png", b"\x89PNG...")])
    delivery = deliver(db, raw, SUPPORT)
    [attachment] = delivery.message.attachments
    assert (attachment.filename, attachment.size, attachment.data) == ("photo.png", 7, b"\x89PNG...")
    assert "Attached: photo.png" in _comments(db, delivery.ticket.id)[0].body  # type: ignore[union-attr]


def test_mail_for_no_mailbox_of_ours_is_refused(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownMailbox):
        deliver(db, gen_mail(), ["sales@example.com"])
    assert db.scalar(select(MailMessage.id)) is None


def test_hostile_text_is_stored_as_text(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    subject = "'); DROP TABLE tickets; -- <script>alert(1)</script>"
    ticket = deliver(db, gen_mail(subject, "<img src=x onerror=alert(1)>"), SUPPORT).ticket
    assert ticket is not None and ticket.subject == subject
    assert _comments(db, ticket.id)[0].body == "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    "address",
    ["", "support", "a b@example.com", "<x>@example.com", "support@example.com\r\nBcc: x@y.z", "a@" + "b" * 300],
)
def test_mailbox_addresses_are_checked(db: Session, address: str) -> None:
    with pytest.raises(MailboxError):
        add_mailbox(db, address)


def test_a_mailbox_queue_must_exist(db: Session) -> None:
    with pytest.raises(MailboxError, match="no queue"):
        add_mailbox(db, "support@example.com", queue="nope")


def test_mail_from_our_own_mailbox_is_not_filed(db: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    delivery = deliver(db, gen_mail(sender="Acme Support <support@example.com>"), SUPPORT)
    assert delivery.ticket is None and "our own mailbox" in delivery.message.note
