"""Web chats in the store: messages numbered in order and stored once, a reconnecting widget
catching up, and the chat filed on the customer (by e-mail) and a "chat" ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.chat import services as chats
from contactcenter.chat.models import ChatAuthor, ChatMessage, ChatStatus
from contactcenter.contacts.models import Customer
from contactcenter.mail.models import Mailbox, MailMessage
from contactcenter.tickets import timeline
from contactcenter.tickets.models import Ticket, TicketSurvey
from tests.support.chats import chat_team, visitor_chat
from tests.support.factories import gen_customer, gen_queue


def test_messages_get_consecutive_sequence_numbers(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    chats.post(db, chat, ChatAuthor.VISITOR, "hello", client_id="c1")
    chats.post(db, chat, ChatAuthor.VISITOR, "anyone?", client_id="c2")
    seqs = db.scalars(select(ChatMessage.seq).where(ChatMessage.chat_id == chat.id).order_by(ChatMessage.id)).all()
    assert seqs == [1, 2, 3]


def test_a_resend_with_the_same_client_id_is_stored_once(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    first = chats.post(db, chat, ChatAuthor.VISITOR, "typed while offline", client_id="offline-1")
    again = chats.post(db, chat, ChatAuthor.VISITOR, "typed while offline", client_id="offline-1")
    assert first.created and not again.created
    assert again.message.id == first.message.id
    assert len(db.scalars(select(ChatMessage).where(ChatMessage.body == "typed while offline")).all()) == 1


def test_reconnect_gets_only_the_messages_after_the_last_seen(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    for n in range(4):
        chats.post(db, chat, ChatAuthor.AGENT, f"answer {n}")
    missed = chats.after(db, chat, 3)
    assert [(m.seq, m.body) for m in missed] == [(4, "answer 2"), (5, "answer 3")]


def test_after_refuses_a_negative_or_non_numeric_position(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    for bad in (-1, "1; DROP TABLE chats", True, None):
        with pytest.raises(chats.ChatError):
            chats.after(db, chat, bad)


def test_a_new_visitor_becomes_a_customer_with_a_chat_ticket(db):
    gen_queue(db, "support")
    chat = visitor_chat(db, email="new.person@example.com", name="New Person")
    customer = db.get(Customer, chat.customer_id)
    ticket = db.get(Ticket, chat.ticket_id)
    assert customer.name == "New Person" and customer.email == "new.person@example.com"
    assert ticket.channel == "chat" and ticket.customer_id == customer.id


def test_a_known_e_mail_links_the_chat_to_that_customer(db):
    gen_queue(db, "support")
    known = gen_customer(db, "Grace Hopper", email="Grace@Example.com")
    chat = visitor_chat(db, email="grace@example.com")
    assert chat.customer_id == known.id


def test_every_message_is_on_the_ticket_timeline_in_order(db):
    queue, agent = chat_team(db)
    chat = visitor_chat(db)
    chats.joined(db, chat.id, agent.id)
    chats.post(db, chat, ChatAuthor.AGENT, "Let me look.", author_id=agent.id)
    chats.post(db, chat, ChatAuthor.VISITOR, "Thanks", client_id="v2")
    bodies = [e.details.get("body") for e in timeline.build(db, db.get(Ticket, chat.ticket_id)) if e.kind == "comment"]
    assert bodies == ["Where is my order?", "Alice joined the chat", "Let me look.", "Thanks"]


def test_unknown_queue_goes_to_the_default_queue(db):
    default = gen_queue(db, "support")
    gen_queue(db, "sales")
    chat = visitor_chat(db, queue="no-such-queue")
    assert chat.queue_id == default.id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 201),
        ("email", "not-an-address"),
        ("email", "<script>@x.y"),
        ("question", "q" * 2001),
        ("question", 42),
    ],
)
def test_a_refused_pre_chat_form_stores_nothing(db, field, value):
    gen_queue(db, "support")
    before = db.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
    with pytest.raises(chats.ChatError):
        visitor_chat(db, **{field: value})
    assert db.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) == before


def test_a_forged_token_is_refused(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    good = chats.token(chat, "secret-one")
    assert chats.from_token(db, good, "secret-one").id == chat.id
    with pytest.raises(chats.ChatTokenError):
        chats.from_token(db, good, "another-secret")
    with pytest.raises(chats.ChatTokenError):
        chats.from_token(db, good[:-2] + "xx", "secret-one")


def test_no_message_after_the_chat_ended(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    assert chats.end(db, chat, by="visitor")
    with pytest.raises(chats.ChatEnded):
        chats.post(db, chat, ChatAuthor.VISITOR, "still there?", client_id="late")


def test_the_rating_is_the_ticket_survey_of_channel_chat(db):
    gen_queue(db, "support")
    chat = visitor_chat(db)
    chats.end(db, chat, by="visitor")
    chats.rate(db, chat, 4, "quick and kind")
    survey = db.scalar(select(TicketSurvey).where(TicketSurvey.ticket_id == chat.ticket_id))
    assert (survey.channel, survey.score, survey.comment) == ("chat", 4, "quick and kind")


def test_the_transcript_is_queued_by_mail_to_the_visitor(db):
    db.add(Mailbox(address="help@example.com", display_name="Help"))
    gen_queue(db, "support")
    chat = visitor_chat(db)
    chats.post(db, chat, ChatAuthor.AGENT, "It ships today.")
    queued = chats.mail_transcript(db, chat)
    stored = db.get(MailMessage, queued.id)
    assert stored.to_addresses == ["ada@example.com"] and stored.status == "queued"
    assert "Ada Visitor: Where is my order?" in stored.body_text and "It ships today." in stored.body_text


def test_joining_makes_the_chat_active_and_its_agent_known(db):
    queue, agent = chat_team(db)
    chat = visitor_chat(db)
    chats.joined(db, chat.id, agent.id)
    assert chat.status == ChatStatus.ACTIVE.value and chat.agent_id == agent.id


def test_a_chat_rating_counts_in_the_daily_csat_like_the_other_surveys(db):
    from contactcenter import clock
    from contactcenter.tickets.intervals import csat_by_day

    gen_queue(db, "support")
    chat = visitor_chat(db)
    chats.end(db, chat, by="visitor")
    chats.rate(db, chat, 2, "")
    today = clock.now().date()
    [day] = csat_by_day(db, today, today)
    assert (day.count, day.mean) == (1, 2.0)


def test_an_agent_in_wrap_up_finds_the_chat_they_just_ended(db):
    from datetime import timedelta

    from contactcenter import clock
    from contactcenter.chat import routing

    queue, agent = chat_team(db)
    chat = visitor_chat(db)
    chats.joined(db, chat.id, agent.id)
    chats.end(db, chat, by="agent", agent_id=agent.id)
    assert routing.wrapping_up(db, agent.id, clock.now() - timedelta(seconds=5)).id == chat.id


def test_allowed_origins_are_read_as_origins_and_a_wildcard_is_refused():
    from contactcenter.config import ConfigError, chat_origins

    assert chat_origins(" https://www.Example.com/, http://localhost:8080") == (
        "https://www.example.com",
        "http://localhost:8080",
    )
    for bad in ("*", "https://example.com/path", "ftp://example.com", "example.com"):
        with pytest.raises(ConfigError):
            chat_origins(bad)
