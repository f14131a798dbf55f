"""The satisfaction question texted after a call an agent answered, and the caller's answer —
end to end through the local carrier: the call, its status callback, the sending job, the handset."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.acd.services import save_queue
from contactcenter.app.tasks import sms as sms_tasks
from contactcenter.dialer import dnc
from contactcenter.sms.models import SmsMessage
from contactcenter.tickets.intervals import csat_by_day
from contactcenter.tickets.models import TicketSurvey
from tests.support.calls import CALLER, Floor, make_floor
from tests.support.constants import CENTER_NUMBER
from tests.support.texts import TEXT_NUMBER, gen_text_number, texts


def _floor(db: Session, runtime, carrier, *, survey: bool = True) -> Floor:  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(public_base_url="http://cc.test")
    floor = make_floor(db, runtime, carrier, survey_after_call=survey, display_name="Acme Support")
    gen_text_number(db, queue="support")
    db.commit()
    carrier.add_sms_number(TEXT_NUMBER, "http://cc.test/hooks/sms")
    return floor


def _talk_and_hang_up(floor: Floor) -> str:
    handle = floor.connect(floor.alice, "hang up after 30")
    floor.carrier.run_for(60)
    assert floor.call(handle.sid).is_ended
    return str(handle.sid)


def _questions(db: Session) -> list[SmsMessage]:
    return [m for m in texts(db, direction="out") if m.note == "satisfaction survey"]


def test_an_answered_call_texts_the_caller_how_did_we_do(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    sid = _talk_and_hang_up(floor)
    [question] = _questions(db)
    assert (question.customer_number, question.our_number) == (CALLER, TEXT_NUMBER)
    assert "Thank you for calling Acme Support" in question.body
    survey = db.get(TicketSurvey, question.survey_id)
    assert survey is not None and survey.interaction_id == floor.call(sid).id and survey.ticket_id is None
    assert sms_tasks.send_sms(question.id) is True
    carrier.run_for(5)
    assert "Reply with a number from 1" in carrier.texts_to(CALLER)[0]


def test_the_callers_digit_and_words_answer_the_call_survey(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    _talk_and_hang_up(floor)
    [question] = _questions(db)
    sms_tasks.send_sms(question.id)
    carrier.send_text(CALLER, TEXT_NUMBER, "4 - quick and kind, <b>thanks</b>")
    carrier.run_for(5)
    db.expire_all()
    survey = db.get(TicketSurvey, question.survey_id)
    assert survey is not None
    assert (survey.score, survey.comment) == (4, "quick and kind, <b>thanks</b>")
    assert "Thank you for your answer!" in carrier.texts_to(CALLER)
    assert [t.ticket_id for t in texts(db, direction="in")] == [None]  # the answer opened no ticket


def test_call_survey_answers_count_in_the_daily_csat(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    _talk_and_hang_up(floor)
    [question] = _questions(db)
    sms_tasks.send_sms(question.id)
    carrier.send_text(CALLER, TEXT_NUMBER, "2")
    carrier.run_for(5)
    today: date = clock.now().date()
    [day] = csat_by_day(db, today, today)
    assert (day.count, day.mean) == (1, 2.0)


def test_a_queue_that_does_not_ask_texts_nothing(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier, survey=False)
    _talk_and_hang_up(floor)
    assert _questions(db) == []


def test_a_caller_who_hung_up_in_the_queue_is_not_asked(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    _floor(db, runtime, carrier)
    carrier.place_inbound_call(CALLER, CENTER_NUMBER, "hang up after 5")
    carrier.run_for(30)
    assert _questions(db) == []


def test_a_caller_on_the_do_not_contact_list_is_not_asked(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    dnc.add(db, CALLER, source="sms")
    db.commit()
    _talk_and_hang_up(floor)
    assert _questions(db) == []


def test_a_queue_with_no_text_number_asks_nothing(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(public_base_url="http://cc.test")
    floor = make_floor(db, runtime, carrier, survey_after_call=True)
    db.commit()
    _talk_and_hang_up(floor)
    assert _questions(db) == []


def test_two_calls_each_get_their_question_and_the_answer_goes_to_the_latest(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    first, second = _talk_and_hang_up(floor), None
    floor.wrapups()  # the agent is free again once wrap-up ends
    carrier.run_for(40)
    second = _talk_and_hang_up(floor)
    questions = _questions(db)
    assert len(questions) == 2
    carrier.send_text(CALLER, TEXT_NUMBER, "5")
    carrier.run_for(5)
    db.expire_all()
    by_call = {
        s.interaction_id: s.score
        for s in db.scalars(select(TicketSurvey).where(TicketSurvey.interaction_id.is_not(None)))
    }
    assert by_call == {floor.call(first).id: None, floor.call(second).id: 5}


@pytest.mark.parametrize("value", ["1", True, "yes"])
def test_the_queue_setting_is_saved_as_a_yes_or_no(db: Session, value: object) -> None:
    from tests.support.factories import gen_queue

    queue = gen_queue(db, "sales")
    fields = {c: getattr(queue, c) for c in ("name", "display_name", "strategy", "priority", "wrap_up_s")}
    saved = save_queue(
        db, queue, **fields, sl_threshold_s=20, sl_target=0.8, required_skills={}, survey_after_call=value
    )
    assert saved.survey_after_call is True


def test_a_score_with_words_a_day_later_is_a_request_not_a_rating(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    _talk_and_hang_up(floor)
    [question] = _questions(db)
    carrier.run_for(2 * 86400)  # the carrier's clock is the app's in these tests
    carrier.send_text(CALLER, TEXT_NUMBER, "3 items are missing from my order")
    carrier.run_for(5)
    db.expire_all()
    survey = db.get(TicketSurvey, question.survey_id)
    assert survey is not None and survey.score is None
    [request] = texts(db, direction="in")
    assert request.ticket_id is not None and request.status == "received"


def test_a_word_that_starts_with_a_digit_is_no_answer(db: Session, runtime, carrier) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(db, runtime, carrier)
    _talk_and_hang_up(floor)
    carrier.send_text(CALLER, TEXT_NUMBER, "1st floor, the door on the left")
    carrier.run_for(5)
    [request] = texts(db, direction="in")
    assert request.ticket_id is not None


def test_the_call_page_shows_the_callers_answer_escaped(db: Session, runtime, carrier, app) -> None:  # type: ignore[no-untyped-def]
    from contactcenter.accounts.models import Role
    from tests.support.factories import gen_agent
    from tests.support.web_client import logged_in

    floor = _floor(db, runtime, carrier)
    sid = _talk_and_hang_up(floor)
    [question] = _questions(db)
    sms_tasks.send_sms(question.id)
    carrier.send_text(CALLER, TEXT_NUMBER, "5 <script>alert(1)</script>")
    carrier.run_for(5)
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    page = logged_in(app, "sam").get(f"/calls/{floor.call(sid).id}").get_data(as_text=True)
    assert "5/5 by text" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
