"""Satisfaction surveys mailed when an e-mail ticket is solved, answered on a public page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.mail.inbound import deliver
from contactcenter.mail.mailboxes import add_mailbox
from contactcenter.mail.models import MailMessage
from contactcenter.tickets import intervals, services as tickets, surveys
from contactcenter.tickets.models import TicketSurvey
from tests.support.factories import gen_customer, gen_queue
from tests.support.mail import gen_mail

SECRET = "test-secret-key-for-surveys-0123456789"


@pytest.fixture
def email_ticket(db: Session, runtime):  # type: ignore[no-untyped-def]
    gen_queue(db, "support")
    add_mailbox(db, "support@example.com", queue="support", signature="Acme")
    ticket = deliver(db, gen_mail(message_id="<s1@example.org>"), ["support@example.com"]).ticket
    assert ticket is not None
    tickets.change_status(db, ticket, "open")
    return ticket


def _survey_mails(db: Session) -> list[MailMessage]:
    return list(db.scalars(select(MailMessage).where(MailMessage.note == "satisfaction survey")))


def test_solving_an_e_mail_ticket_mails_a_survey_once(db: Session, email_ticket) -> None:  # type: ignore[no-untyped-def]
    tickets.change_status(db, email_ticket, "solved")
    tickets.change_status(db, email_ticket, "open")
    tickets.change_status(db, email_ticket, "solved")
    [mail] = _survey_mails(db)
    assert mail.to_addresses == ["ann@example.org"] and mail.in_reply_to == "<s1@example.org>"
    assert mail.subject.endswith(f"[#{email_ticket.id}]")
    assert len(re.findall(r"/survey/[\w.-]+\?score=[1-5]", mail.body_text)) == 5


def test_a_phone_ticket_gets_no_survey_mail(db: Session, runtime) -> None:  # type: ignore[no-untyped-def]
    add_mailbox(db, "support@example.com")
    customer = gen_customer(db, "Ann", email="ann@example.org")
    ticket = tickets.open_ticket(db, "Call", customer_id=customer.id)
    tickets.change_status(db, ticket, "open")
    tickets.change_status(db, ticket, "solved")
    assert _survey_mails(db) == []


def test_a_link_leads_to_its_survey_only(db: Session, email_ticket) -> None:  # type: ignore[no-untyped-def]
    survey = surveys.create(db, email_ticket, "email")
    token = surveys.token(survey, SECRET)
    assert surveys.from_token(db, token, SECRET).id == survey.id
    with pytest.raises(surveys.SurveyLinkError):
        surveys.from_token(db, token, "another-secret-key-0123456789abcdef")
    with pytest.raises(surveys.SurveyLinkError):
        surveys.from_token(db, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), SECRET)
    survey.nonce = "replaced"
    with pytest.raises(surveys.SurveyLinkError):
        surveys.from_token(db, token, SECRET)


def test_a_link_expires_after_thirty_days(db: Session, email_ticket) -> None:  # type: ignore[no-untyped-def]
    survey = surveys.create(db, email_ticket, "email")
    with freeze_time(clock.now() - timedelta(days=31)):
        old = surveys.token(survey, SECRET)
    with pytest.raises(surveys.SurveyLinkError, match="expired"):
        surveys.from_token(db, old, SECRET)


@pytest.mark.parametrize("score", [0, 6, "x", "", None, True, "55", "1; DROP TABLE ticket_surveys"])
def test_only_scores_one_to_five_are_taken(db: Session, email_ticket, score) -> None:  # type: ignore[no-untyped-def]
    survey = surveys.create(db, email_ticket, "email")
    with pytest.raises(surveys.SurveyError):
        surveys.answer(db, survey, score, "")
    assert survey.score is None


def test_answers_count_in_the_daily_csat(db: Session, email_ticket) -> None:  # type: ignore[no-untyped-def]
    survey = surveys.create(db, email_ticket, "email")
    surveys.answer(db, survey, "4", "Quick and friendly")
    today = clock.now().date()
    [day] = intervals.csat_by_day(db, today - timedelta(days=1), today + timedelta(days=1))
    assert (day.count, day.mean) == (1, 4.0)
    assert survey.comment == "Quick and friendly"


# -- the public page -------------------------------------------------------------------------


@pytest.fixture
def link(db: Session, email_ticket, app) -> str:  # type: ignore[no-untyped-def]
    survey = surveys.create(db, email_ticket, "email")
    db.commit()
    return "/survey/" + surveys.token(survey, app.config["SECRET_KEY"])


def _answer(db: Session) -> TicketSurvey:
    survey = db.scalar(select(TicketSurvey))
    db.refresh(survey)
    return survey


def test_opening_the_link_records_nothing(client, db, link) -> None:  # type: ignore[no-untyped-def]
    page = client.get(link + "?score=5")
    assert page.status_code == 200 and 'value="5" checked' in page.get_data(as_text=True)
    assert _answer(db).score is None


def test_sending_the_form_records_the_answer(client, db, link) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(link, data={"score": "5", "comment": "<script>alert(1)</script> great"})
    assert resp.status_code == 200 and "Thank you" in resp.get_data(as_text=True)
    survey = _answer(db)
    assert (survey.score, survey.comment) == (5, "<script>alert(1)</script> great")
    page = client.get(link).get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    "form, message", [({"score": "9"}, "choose a score"), ({"score": "3", "comment": "x" * 5000}, "at most")]
)
def test_bad_answers_are_refused_and_kept_in_the_form(client, db, link, form, message) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(link, data=form)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert _answer(db).score is None


@pytest.mark.parametrize("bad", ["nonsense", "x" * 500, "%27%3B--"])
def test_a_bad_link_is_a_clear_404(client, bad) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/survey/{bad}")
    assert resp.status_code == 404 and "does not work" in resp.get_data(as_text=True)
    assert client.post(f"/survey/{bad}", data={"score": "5"}).status_code == 404


def test_csat_by_day_still_counts_ivr_scores(db: Session) -> None:
    from tests.support.factories import gen_call

    call = gen_call(db)
    call.csat = 2
    db.flush()
    day = clock.as_utc(call.arrived_at).date()
    [row] = intervals.csat_by_day(db, day, day)
    assert (row.count, row.mean) == (1, 2.0)
    assert isinstance(row.day, date)
