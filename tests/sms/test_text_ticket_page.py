"""The ticket composer texts public replies to the customer, and refuses when it must."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role
from contactcenter.tickets.models import TicketComment
from tests.support.factories import gen_agent
from tests.support.texts import gen_text_number, text_in, texts
from tests.support.web_client import logged_in

REPLY = {"visibility": "public", "body": "We are on it.", "send_sms": "1"}


def _texted_ticket(client, db: Session) -> int:  # type: ignore[no-untyped-def]
    gen_text_number(db)
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    text_in(client, "my order?")
    [text] = texts(db)
    assert text.ticket_id is not None
    return text.ticket_id


def test_the_composer_offers_texting_and_ticks_it_on_a_text_ticket(client, db: Session) -> None:
    ticket_id = _texted_ticket(client, db)
    page = logged_in(client.application, "sam").get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="composer-sms" checked' in page
    assert "Public replies are also texted to <strong>+1 415-555-0100</strong>" in page


def test_a_public_reply_with_texting_queues_one_text(client, db: Session) -> None:
    ticket_id = _texted_ticket(client, db)
    response = logged_in(client.application, "sam").post(f"/tickets/{ticket_id}/comments", data=REPLY)
    assert response.status_code == 302
    [out] = texts(db, direction="out")
    assert (out.body, out.status, out.customer_number) == ("We are on it.", "queued", "+14155550100")


def test_an_internal_note_is_never_texted(client, db: Session) -> None:
    ticket_id = _texted_ticket(client, db)
    logged_in(client.application, "sam").post(f"/tickets/{ticket_id}/comments", data=REPLY | {"visibility": "internal"})
    assert texts(db, direction="out") == []


def test_after_stop_a_texted_reply_is_refused_and_nothing_is_kept(client, db: Session) -> None:
    ticket_id = _texted_ticket(client, db)
    text_in(client, "STOP")
    before = db.scalar(select(func.count(TicketComment.id)))
    response = logged_in(client.application, "sam").post(f"/tickets/{ticket_id}/comments", data=REPLY)
    assert response.status_code == 400
    assert "texted STOP" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(func.count(TicketComment.id))) == before
    assert texts(db, direction="out") == []


def test_an_overlong_text_is_refused_with_the_count(client, db: Session) -> None:
    ticket_id = _texted_ticket(client, db)
    response = logged_in(client.application, "sam").post(
        f"/tickets/{ticket_id}/comments", data=REPLY | {"body": "x" * 1700}
    )
    assert response.status_code == 400
    assert "at most 1,600 characters; this one has 1,700" in response.get_data(as_text=True)
    assert texts(db, direction="out") == []
