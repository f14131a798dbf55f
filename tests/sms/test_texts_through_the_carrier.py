"""Texts end to end through the local carrier: a customer's handset, signed webhooks, the store,
the sending job through the real twilio client, and the status callbacks."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.app.tasks import sms as sms_tasks
from contactcenter.dialer import dnc
from contactcenter.sms import outbound
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import Ticket
from tests.support.factories import post_signed
from tests.support.texts import CUSTOMER_MOBILE, TEXT_NUMBER, gen_text_number, status_params, texts


@pytest.fixture
def text_line(carrier, runtime, db: Session):  # type: ignore[no-untyped-def]
    """Our text number at the carrier, and the app telling the carrier where to report."""
    runtime.settings = runtime.settings.with_overrides(public_base_url="http://cc.test")
    gen_text_number(db, help_text="Acme: reply STOP to opt out")
    db.commit()
    carrier.add_sms_number(TEXT_NUMBER, "http://cc.test/hooks/sms")
    return carrier


def _conversation(carrier, db: Session) -> Ticket:  # type: ignore[no-untyped-def]
    carrier.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "Is my order on its way?")
    carrier.run_for(5)
    [text] = texts(db)
    ticket = db.get(Ticket, text.ticket_id)
    assert ticket is not None
    return ticket


def _reply(db: Session, ticket: Ticket, body: str):  # type: ignore[no-untyped-def]
    comment = tickets.add_comment(db, ticket, body, public=True)
    message = outbound.queue_reply(db, ticket, comment)
    db.commit()
    return message


def test_an_agents_reply_reaches_the_handset_and_is_followed_to_delivered(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "Yes, it arrives tomorrow.")
    assert sms_tasks.send_sms(reply.id) is True
    text_line.run_for(5)
    assert text_line.texts_to(CUSTOMER_MOBILE) == ["Yes, it arrives tomorrow."]
    [sent] = texts(db, direction="out")
    assert sent.sid is not None and sent.sid.startswith("SM")
    assert (sent.status, sent.our_number, sent.attempts) == ("delivered", TEXT_NUMBER, 1)
    [at_carrier] = [m for m in text_line.messages() if m.sid == sent.sid]
    assert at_carrier.callbacks == ["sending", "sent", "delivered"]


def test_a_retried_job_never_texts_the_customer_twice(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "On its way.")
    assert sms_tasks.send_sms(reply.id) is True
    assert sms_tasks.send_sms(reply.id) is True
    text_line.run_for(5)
    assert text_line.texts_to(CUSTOMER_MOBILE) == ["On its way."]


def test_a_handset_that_cannot_take_texts_shows_undelivered_with_the_carriers_code(text_line, db: Session) -> None:
    text_line.set_unreachable(CUSTOMER_MOBILE)
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "Hello?")
    sms_tasks.send_sms(reply.id)
    text_line.run_for(5)
    [sent] = texts(db, direction="out")
    assert (sent.status, sent.error_code) == ("undelivered", "30003")
    assert "30003" in sent.note


def test_the_customers_answer_threads_into_the_same_ticket(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    sms_tasks.send_sms(_reply(db, ticket, "Which order?").id)
    text_line.run_for(5)
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "Order 1234")
    text_line.run_for(5)
    assert [t.ticket_id for t in texts(db, direction="in")] == [ticket.id, ticket.id]


def test_help_is_answered_on_the_handset(text_line, db: Session) -> None:
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "HELP")
    text_line.run_for(5)
    assert "Acme: reply STOP to opt out" in [m.body for m in text_line.messages() if m.to == CUSTOMER_MOBILE]


def test_after_stop_replies_are_refused_and_the_dialer_skips_the_number(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "STOP")
    text_line.run_for(5)
    assert dnc.check(db, CUSTOMER_MOBILE, None) is not None
    comment = tickets.add_comment(db, ticket, "Are you still there?", public=True)
    with pytest.raises(outbound.SmsReplyError, match="texted STOP"):
        outbound.queue_reply(db, ticket, comment)


def test_a_reply_queued_before_stop_is_not_sent_after_it(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "One more thing")
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "STOP")
    text_line.run_for(5)
    assert sms_tasks.send_sms(reply.id) is False
    db.refresh(reply)
    assert reply.status == "failed" and "STOP" in reply.note
    assert "One more thing" not in [m.body for m in text_line.messages()]


def test_a_carrier_refusal_is_final_and_shown(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "x")
    reply.our_number = "+18005550999"  # not a number of ours at the carrier: error 21606
    db.commit()
    assert sms_tasks.send_sms(reply.id) is False
    db.refresh(reply)
    assert reply.status == "failed" and "refused" in reply.note and reply.sid is None


def test_a_late_status_callback_never_moves_a_text_back(text_line, db: Session, client) -> None:  # type: ignore[no-untyped-def]
    ticket = _conversation(text_line, db)
    reply = _reply(db, ticket, "done")
    sms_tasks.send_sms(reply.id)
    text_line.run_for(5)
    [sent] = texts(db, direction="out")
    assert sent.sid is not None
    response = post_signed(client, "/hooks/sms/status", status_params(sent.sid, "sent"), base="http://cc.test")
    assert response.status_code == 204
    [again] = texts(db, direction="out")
    assert again.status == "delivered"


def _solve(db: Session, ticket: Ticket) -> None:
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    db.commit()


def test_a_solved_text_ticket_asks_how_we_did_and_the_digit_answers_it(text_line, db: Session) -> None:
    from contactcenter.tickets.models import TicketSurvey

    ticket = _conversation(text_line, db)
    _solve(db, ticket)
    [question] = texts(db, direction="out")
    assert question.note == "satisfaction survey" and f"#{ticket.id}" in question.body
    assert sms_tasks.send_sms(question.id) is True
    text_line.run_for(5)
    assert "Reply with a number from 1" in text_line.texts_to(CUSTOMER_MOBILE)[0]
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "4")
    text_line.run_for(5)
    db.expire_all()
    survey = db.scalars(select(TicketSurvey).where(TicketSurvey.ticket_id == ticket.id)).one()
    assert (survey.channel, survey.score) == ("sms", 4)
    assert "Thank you for your answer!" in [m.body for m in text_line.messages() if m.to == CUSTOMER_MOBILE]
    assert len({t.ticket_id for t in texts(db, direction="in")}) == 1  # the answer opened no ticket


def test_a_digit_with_no_question_asked_is_a_message_for_an_agent(text_line, db: Session) -> None:
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "5")
    text_line.run_for(5)
    [text] = texts(db)
    assert text.ticket_id is not None and text.status == "received"


def test_a_customer_who_texted_stop_is_not_asked(text_line, db: Session) -> None:
    ticket = _conversation(text_line, db)
    text_line.send_text(CUSTOMER_MOBILE, TEXT_NUMBER, "STOP")
    text_line.run_for(5)
    _solve(db, ticket)
    assert texts(db, direction="out") == []
