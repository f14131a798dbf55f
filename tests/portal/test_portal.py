"""The customer help center: answers, requests with attachments, and "my requests" by mailed link."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import Role
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from contactcenter.portal.models import PortalLink, PortalUpload
from contactcenter.scripts.models import FaqArticle
from contactcenter.tickets import services as tickets
from contactcenter.tickets.models import Ticket, TicketComment
from tests.support.factories import gen_agent, gen_customer
from tests.support.portal import PDF, form_started, mailed_link, request_form
from tests.support.web_client import logged_in


def _count(db: Session, model) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count(model.id))) or 0


def _send(client, **fields):  # type: ignore[no-untyped-def]
    return client.post(
        "/help/contact", data=request_form(client.application, **fields), content_type="multipart/form-data"
    )


def _signed_in(client, db: Session, email: str = "ann@example.org"):  # type: ignore[no-untyped-def]
    client.post("/help/my-requests", data={"email": email})
    token = mailed_link(db, email)
    assert client.post(f"/help/link/{token}").status_code == 302
    return client


def _customer_ticket(db: Session, email: str = "ann@example.org", subject: str = "Kettle") -> Ticket:
    customer = gen_customer(db, "Ann Lee", (), email=email)
    ticket = tickets.open_ticket(db, subject, customer_id=customer.id, channel="email")
    tickets.add_comment(db, ticket, "It broke.", public=True, author_kind="customer")
    db.commit()
    return ticket


# ---------------------------------------------------------------- answers
def test_the_knowledge_base_finds_published_answers_only(client, db: Session) -> None:
    db.add(FaqArticle(title="Refund policy", body="Refunds take 5 days.", tags=["billing"]))
    db.add(FaqArticle(title="Refund secrets", body="internal refund notes", published=False))
    db.commit()
    page = client.get("/help?q=refund").get_data(as_text=True)
    assert "Refund policy" in page and "Refund secrets" not in page


def test_an_unpublished_article_is_not_there(client, db: Session) -> None:
    hidden = FaqArticle(title="Draft", body="not yet", published=False)
    db.add(hidden)
    db.commit()
    assert client.get(f"/help/articles/{hidden.id}").status_code == 404
    assert client.get("/help/articles/99999999999").status_code == 404


def test_hostile_and_oversized_searches_get_a_clear_answer(client, db: Session) -> None:
    db.add(FaqArticle(title="<script>alert(1)</script>", body="x refund"))
    db.commit()
    page = client.get("/help?q=refund").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert client.get("/help?q=' OR 1=1 --").status_code in (200, 400)
    assert client.get("/help?q=" + "a" * 500).status_code == 400


# ---------------------------------------------------------------- send a request
def test_a_request_opens_a_web_ticket_for_a_new_customer_with_the_file(client, db: Session) -> None:
    response = _send(client, attachment=(io.BytesIO(PDF), "receipt.pdf"))
    assert response.status_code == 201
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.channel, ticket.subject) == ("web", "Parcel never came")
    assert ticket.customer is not None and ticket.customer.email == "ann@example.org"
    upload = db.scalars(select(PortalUpload)).one()
    assert (upload.filename, upload.content_type, upload.data) == ("receipt.pdf", "application/pdf", PDF)


def test_a_request_from_a_known_address_goes_to_that_customer(client, db: Session) -> None:
    ann = gen_customer(db, "Ann Lee", (), email="Ann@Example.org")
    db.commit()
    _send(client, email="ANN@example.org")
    assert db.scalars(select(Ticket)).one().customer_id == ann.id


def test_a_form_sent_within_seconds_is_refused_as_automated(client, db: Session) -> None:
    response = _send(client, started=form_started(client.application, seconds_ago=0))
    assert response.status_code == 400 and "send the form again" in response.get_data(as_text=True)
    assert _count(db, Ticket) == 0


def test_a_filled_honeypot_or_a_forged_start_is_refused(client, db: Session) -> None:
    assert _send(client, website="http://spam.example").status_code == 400
    assert _send(client, started="forged.value.here").status_code == 400
    assert _count(db, Ticket) == 0


def test_a_disguised_file_is_refused_and_nothing_is_kept(client, db: Session) -> None:
    response = _send(client, attachment=(io.BytesIO(b"<html><script>alert(1)</script>"), "invoice.pdf"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "we keep PDF" in page and "Order 1187 was due on Monday." in page  # the input is kept
    assert _count(db, Ticket) == 0 and _count(db, PortalUpload) == 0


def test_an_oversized_upload_is_refused(client, db: Session) -> None:
    response = _send(client, attachment=(io.BytesIO(b"%PDF-" + b"0" * (11 * 1024 * 1024)), "big.pdf"))
    assert response.status_code in (400, 413)
    assert _count(db, Ticket) == 0


def test_missing_and_overlong_fields_are_named(client, db: Session) -> None:
    assert "Your name is missing" in _send(client, name="  ").get_data(as_text=True)
    assert "at most 200 characters" in _send(client, subject="s" * 201).get_data(as_text=True)
    assert "e-mail address" in _send(client, email="not-an-address").get_data(as_text=True)
    assert _count(db, Ticket) == 0


def test_hostile_text_is_stored_as_written_and_escaped_for_agents(client, db: Session) -> None:
    hostile = "<img src=x onerror=alert(1)>'); DROP TABLE tickets; --"
    _send(client, subject=hostile, message=hostile)
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.subject == hostile
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    page = logged_in(client.application, "sam").get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "<img src=x onerror=alert(1)>" not in page


def test_many_requests_from_one_address_are_slowed_down(client, db: Session) -> None:
    statuses = [_send(client, subject=f"request {i}").status_code for i in range(6)]
    assert statuses[:5] == [201] * 5 and statuses[5] == 429


def test_agents_download_the_customers_file_from_the_ticket(client, db: Session) -> None:
    _send(client, attachment=(io.BytesIO(PDF), "receipt.pdf"))
    ticket = db.scalars(select(Ticket)).one()
    upload = db.scalars(select(PortalUpload)).one()
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    staff = logged_in(client.application, "sam")
    assert f"/tickets/{ticket.id}/uploads/{upload.id}" in staff.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    download = staff.get(f"/tickets/{ticket.id}/uploads/{upload.id}")
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert client.application.test_client().get(f"/tickets/{ticket.id}/uploads/{upload.id}").status_code in (302, 401)


# ---------------------------------------------------------------- my requests
def test_asking_for_a_link_answers_the_same_for_strangers_and_mails_nothing(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    db.commit()
    page = client.post("/help/my-requests", data={"email": "nobody@example.org"}).get_data(as_text=True)
    assert "a sign-in link is on its way" in page
    assert _count(db, PortalLink) == 0 and _count(db, MailMessage) == 0


def test_a_customer_signs_in_by_the_mailed_link_and_sees_their_requests(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    ticket = _customer_ticket(db)
    _signed_in(client, db)
    page = client.get("/help/my-requests").get_data(as_text=True)
    assert f"/help/requests/{ticket.id}" in page and "Kettle" in page


def test_opening_the_link_does_not_use_it_but_continuing_does(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    _customer_ticket(db)
    client.post("/help/my-requests", data={"email": "ann@example.org"})
    token = mailed_link(db, "ann@example.org")
    assert client.get(f"/help/link/{token}").status_code == 200
    assert client.get(f"/help/link/{token}").status_code == 200
    assert client.post(f"/help/link/{token}").status_code == 302
    again = client.application.test_client().post(f"/help/link/{token}")
    assert again.status_code == 404 and "used already" in again.get_data(as_text=True)


def test_an_expired_or_made_up_link_does_not_sign_in(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    _customer_ticket(db)
    client.post("/help/my-requests", data={"email": "ann@example.org"})
    token = mailed_link(db, "ann@example.org")
    link = db.scalars(select(PortalLink)).one()
    link.expires_at = clock.now() - timedelta(seconds=1)
    db.commit()
    assert "expired" in client.post(f"/help/link/{token}").get_data(as_text=True)
    assert client.post("/help/link/made-up-token").status_code == 404
    assert client.get("/help/link/" + "x" * 300).status_code == 404


def test_only_public_comments_are_shown_to_the_customer(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    ticket = _customer_ticket(db)
    tickets.add_comment(db, ticket, "customer seems annoyed", public=False)
    tickets.add_comment(db, ticket, "A new kettle is on its way.", public=True)
    db.commit()
    page = _signed_in(client, db).get(f"/help/requests/{ticket.id}").get_data(as_text=True)
    assert "A new kettle is on its way." in page and "customer seems annoyed" not in page


def test_someone_elses_request_is_not_there(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    _customer_ticket(db)
    other = _customer_ticket(db, email="bob@example.org", subject="Bob's")
    _signed_in(client, db)
    assert client.get(f"/help/requests/{other.id}").status_code == 404
    assert client.post(f"/help/requests/{other.id}/reply", data={"message": "hi"}).status_code == 404


def test_a_reply_reopens_a_solved_request(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    ticket = _customer_ticket(db)
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    db.commit()
    _signed_in(client, db)
    response = client.post(f"/help/requests/{ticket.id}/reply", data={"message": "Still broken."})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == "open"
    last = db.scalars(select(TicketComment).order_by(TicketComment.id.desc()).limit(1)).one()
    assert (last.body, last.author_kind, last.public) == ("Still broken.", "customer", True)


def test_a_closed_request_takes_no_reply(client, db: Session) -> None:
    add_mailbox(db, "support@example.com")
    ticket = _customer_ticket(db)
    for status in ("open", "solved", "closed"):
        tickets.change_status(db, ticket, status)
    db.commit()
    _signed_in(client, db)
    response = client.post(f"/help/requests/{ticket.id}/reply", data={"message": "hello?"})
    assert response.status_code == 400 and "closed" in response.get_data(as_text=True)


def test_without_signing_in_my_requests_asks_for_the_address(client, db: Session) -> None:
    assert "Mail me a link" in client.get("/help/my-requests").get_data(as_text=True)
    assert client.get("/help/requests/1").status_code == 302
