"""Texts arriving through the signed Messaging webhook: filed, threaded, refused when they must be."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role
from contactcenter.dialer import dnc
from contactcenter.dialer.models import DncEntry
from contactcenter.sms.numbers import SmsNumberError, add_number
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import Ticket, TicketComment
from tests.support.factories import gen_agent, gen_customer, gen_queue, post_signed
from tests.support.texts import (
    CUSTOMER_MOBILE,
    TEXT_NUMBER,
    gen_text_number,
    message_sid,
    status_params,
    text_in,
    text_params,
    texts,
)
from tests.support.web_client import logged_in


def _comments(db: Session, ticket_id: int) -> list[TicketComment]:
    db.expire_all()
    return list(
        db.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket_id).order_by(TicketComment.id))
    )


def test_a_text_opens_a_ticket_in_the_numbers_queue_for_the_known_customer(client, db: Session) -> None:
    queue = gen_queue(db, "support")
    gen_text_number(db, queue="support")
    ann = gen_customer(db, "Ann Lee", (CUSTOMER_MOBILE,))
    db.commit()
    response = text_in(client, "My parcel never came")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Message>" not in response.get_data(as_text=True)
    [text] = texts(db)
    ticket = db.get(Ticket, text.ticket_id)
    assert ticket is not None
    assert (ticket.channel, ticket.queue_id, ticket.customer_id) == ("sms", queue.id, ann.id)
    assert [c.body for c in _comments(db, ticket.id)] == ["My parcel never came"]


def test_a_stranger_becomes_a_customer_named_by_their_number(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    text_in(client, "hello?", from_="+442079460958")
    [text] = texts(db)
    ticket = db.get(Ticket, text.ticket_id)
    assert ticket is not None and ticket.customer is not None
    assert ticket.customer.name == "+44 20 7946 0958"
    assert ticket.subject == "Text from +44 20 7946 0958"


def test_the_next_text_threads_into_the_open_conversation(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    text_in(client, "first")
    text_in(client, "second")
    first, second = texts(db)
    assert first.ticket_id == second.ticket_id
    assert [c.body for c in _comments(db, first.ticket_id)] == ["first", "second"]


def test_a_text_after_the_ticket_was_solved_opens_a_new_one(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    text_in(client, "first")
    [first] = texts(db)
    ticket = db.get(Ticket, first.ticket_id)
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    db.commit()
    text_in(client, "it broke again")
    assert texts(db)[-1].ticket_id != first.ticket_id


def test_a_redelivered_text_is_filed_once(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    sid = message_sid()
    assert text_in(client, "only once", sid=sid).status_code == 200
    assert text_in(client, "only once", sid=sid).status_code == 200
    [text] = texts(db)
    assert len(_comments(db, text.ticket_id)) == 1


def test_conversations_with_two_of_our_numbers_stay_apart(client, db: Session) -> None:
    gen_text_number(db)
    gen_text_number(db, "+18005550124")
    db.commit()
    text_in(client, "to sales")
    text_in(client, "to support", to="+18005550124")
    a, b = texts(db)
    assert a.ticket_id != b.ticket_id


def test_stop_puts_the_number_on_the_do_not_contact_list_the_dialer_checks(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    response = text_in(client, "Stop.")
    assert response.status_code == 200
    [text] = texts(db)
    assert (text.keyword, text.status, text.ticket_id) == ("stop", "handled", None)
    hit = dnc.check(db, CUSTOMER_MOBILE, None)
    assert hit is not None
    assert db.scalar(select(DncEntry.source).where(DncEntry.phone == CUSTOMER_MOBILE)) == "sms"


def test_stop_inside_a_sentence_is_a_message_for_an_agent(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    text_in(client, "please don't stop my subscription")
    [text] = texts(db)
    assert text.keyword == "" and text.ticket_id is not None
    assert dnc.check(db, CUSTOMER_MOBILE, None) is None


def test_stop_leaves_an_internal_note_on_the_open_conversation(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    text_in(client, "where is my order")
    text_in(client, "STOP")
    first, stop = texts(db)
    assert stop.ticket_id == first.ticket_id
    note = _comments(db, first.ticket_id)[-1]
    assert not note.public and "texted STOP" in note.body


def test_start_lifts_only_the_entry_a_stop_made(client, db: Session) -> None:
    gen_text_number(db)
    dnc.add(db, "+14155550111", source="manual", reason="asked on the phone")
    db.commit()
    text_in(client, "STOP")
    text_in(client, "START")
    assert dnc.check(db, CUSTOMER_MOBILE, None) is None
    text_in(client, "START", from_="+14155550111")
    assert dnc.check(db, "+14155550111", None) is not None


def test_help_is_answered_with_the_numbers_help_text(client, db: Session) -> None:
    gen_text_number(db, help_text="Acme Support <help> — reply STOP to opt out")
    db.commit()
    response = text_in(client, "help")
    body = response.get_data(as_text=True)
    assert "<Message>Acme Support &lt;help&gt; — reply STOP to opt out</Message>" in body
    [text] = texts(db)
    assert text.keyword == "help" and text.ticket_id is None


def test_an_unsigned_text_is_refused_and_nothing_is_stored(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    response = client.post("/hooks/sms", data=text_params("forged"))
    assert response.status_code == 403
    assert texts(db) == []


def test_a_text_signed_for_another_account_is_refused(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    params = text_params("other account") | {"AccountSid": "AC" + "1" * 32}
    assert post_signed(client, "/hooks/sms", params).status_code == 403
    assert texts(db) == []


def test_a_text_to_a_number_that_takes_no_texts_is_a_404(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    assert text_in(client, "hello", to="+18005550999").status_code == 404
    assert texts(db) == []


def test_malformed_texts_are_refused_with_a_reason(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    cases = {
        "MessageSid": text_params("x") | {"MessageSid": "SM' OR 1=1 --", "SmsSid": ""},
        "Body is longer": text_params("x" * 1601),
        "control characters": text_params("bell\x07"),
        "NumMedia": text_params("x") | {"NumMedia": "-1"},
    }
    for reason, params in cases.items():
        response = post_signed(client, "/hooks/sms", params)
        assert response.status_code == 400, reason
        assert reason in response.get_data(as_text=True)
    assert texts(db) == []


def test_an_oversized_webhook_body_is_refused(client, db: Session) -> None:
    gen_text_number(db)
    db.commit()
    params = text_params("hi") | {f"X{i}": "y" * 4000 for i in range(400)}
    assert post_signed(client, "/hooks/sms", params).status_code == 413
    assert texts(db) == []


def test_hostile_text_is_kept_as_written_and_shown_escaped(client, db: Session) -> None:
    gen_text_number(db)
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    hostile = "<script>alert(1)</script>'; DROP TABLE tickets; --"
    text_in(client, hostile)
    [text] = texts(db)
    assert text.body == hostile
    page = logged_in(client.application, "sam").get(f"/tickets/{text.ticket_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_status_for_a_message_never_sent_is_a_404(client, db: Session) -> None:
    response = post_signed(client, "/hooks/sms/status", status_params(message_sid(), "delivered"))
    assert response.status_code == 404


def test_a_status_callback_with_an_unknown_status_is_refused(client, db: Session) -> None:
    response = post_signed(client, "/hooks/sms/status", status_params(message_sid(), "teleported"))
    assert response.status_code == 400


def test_the_help_answer_is_limited_and_the_number_must_be_real(db: Session) -> None:
    with pytest.raises(SmsNumberError, match="at most"):
        add_number(db, TEXT_NUMBER, help_text="x" * 400)
    with pytest.raises(SmsNumberError):
        add_number(db, "not a number")
    with pytest.raises(SmsNumberError, match="no queue"):
        add_number(db, TEXT_NUMBER, queue="nope")
