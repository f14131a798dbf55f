"""The satisfaction survey page customers reach from the link in a mail (no login: the link's
signed token is the key). Opening it records nothing; sending the form does."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from contactcenter.mail.surveys import SCORES
from contactcenter.tickets import surveys
from contactcenter.tickets.models import Ticket
from web import database

bp = Blueprint("surveys", __name__, url_prefix="/survey")


def _survey(token: str) -> surveys.TicketSurvey | None:
    session = database.session()
    try:
        return surveys.from_token(session, token, database.runtime().settings.secret_key)
    except surveys.SurveyLinkError:
        return None


def _page(
    token: str, survey: surveys.TicketSurvey, *, score: str = "", comment: str = "", error: str = "", status: int = 200
) -> tuple[str, int]:
    ticket = database.session().get(Ticket, survey.ticket_id)
    return render_template(
        "survey.html",
        token=token,
        survey=survey,
        subject=ticket.subject if ticket else "",
        scores=SCORES,
        chosen=score or (str(survey.score) if survey.score else ""),
        comment=comment if comment or error else (survey.comment or ""),
        error=error,
    ), status


@bp.get("/<token>")
def survey_page(token: str) -> tuple[str, int] | Response:
    survey = _survey(token)
    if survey is None:
        return render_template("survey_gone.html"), 404
    raw = request.args.get("score", "")
    return _page(token, survey, score=raw if raw in {"1", "2", "3", "4", "5"} else "")


@bp.post("/<token>")
def survey_answer(token: str) -> tuple[str, int]:
    survey = _survey(token)
    if survey is None:
        return render_template("survey_gone.html"), 404
    score, comment = request.form.get("score", ""), request.form.get("comment", "")
    try:
        surveys.answer(database.session(), survey, score, comment)
    except surveys.SurveyError as exc:
        database.session().rollback()
        return _page(token, survey, score=score[:1], comment=comment[: surveys.MAX_COMMENT], error=str(exc), status=400)
    database.session().commit()
    return render_template("survey_thanks.html", score=survey.score), 200
