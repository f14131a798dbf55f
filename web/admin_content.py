"""Admin pages for desktop content: call scripts and FAQ articles (create, edit, delete).

Admins only. Forms carry flask-wtf's CSRF token; a form that does not validate is shown again
with every problem listed and a 400, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import yaml
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.acd.models import Queue
from contactcenter.dialer.models import Campaign
from contactcenter.scripts import faq
from contactcenter.scripts.definition import ScriptInvalid, ScriptProblem, parse_yaml
from contactcenter.scripts.models import CallScript, FaqArticle
from contactcenter.scripts.services import ScriptFields, delete_script, parse_intents, save_script
from contactcenter.scripts.variables import KNOWN_VARIABLES
from web import database

bp = Blueprint("admin_content", __name__, url_prefix="/admin")
MAX_FIELD = 64 * 1024


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _field(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        abort(413, f"{name} is too long")
    return value


def _optional_id(name: str) -> int | None | ScriptProblem:
    raw = _field(name).strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        return ScriptProblem(f"bad-{name}", f"{name.replace('_id', '')} must be chosen from the list")
    return int(raw)


# ------------------------------------------------------------------------------- scripts


def _script_choices() -> dict[str, Any]:
    session = database.session()
    return {
        "queues": list(session.scalars(select(Queue).order_by(Queue.name))),
        "campaigns": list(session.scalars(select(Campaign).order_by(Campaign.name))),
        "variables": [*KNOWN_VARIABLES, "ivr.<name>"],
    }


def _script_form(script: CallScript | None) -> dict[str, str]:
    if script is None:
        return {
            "name": "",
            "title": "",
            "definition": "",
            "queue_id": "",
            "campaign_id": "",
            "intents": "",
            "is_default": "",
            "active": "on",
        }
    return {
        "name": script.name,
        "title": script.title,
        "definition": yaml.safe_dump(script.definition, sort_keys=False, allow_unicode=True, width=100),
        "queue_id": str(script.queue_id or ""),
        "campaign_id": str(script.campaign_id or ""),
        "intents": ", ".join(map(str, script.intents or [])),
        "is_default": "on" if script.is_default else "",
        "active": "on" if script.active else "",
    }


@bp.get("/scripts")
@login_required
@admin_only
def scripts() -> str:
    rows = database.session().scalars(select(CallScript).order_by(CallScript.name))
    choices = _script_choices()
    return render_template(
        "admin/scripts.html",
        scripts=list(rows),
        queue_names={q.id: q.display_name for q in choices["queues"]},
        campaign_names={c.id: c.name for c in choices["campaigns"]},
    )


@bp.route("/scripts/new", methods=["GET", "POST"])
@login_required
@admin_only
def script_new() -> Any:
    return _script_edit(None)


@bp.route("/scripts/<int:script_id>", methods=["GET", "POST"])
@login_required
@admin_only
def script_edit(script_id: int) -> Any:
    script = database.session().get(CallScript, script_id)
    if script is None:
        abort(404)
    return _script_edit(script)


def _script_edit(script: CallScript | None) -> Any:
    if request.method == "GET":
        return render_template(
            "admin/script_form.html", script=script, form=_script_form(script), problems=[], **_script_choices()
        )
    form = {
        k: _field(k)
        for k in ("name", "title", "definition", "queue_id", "campaign_id", "intents", "is_default", "active")
    }
    problems: list[ScriptProblem] = []
    ids = {k: _optional_id(k) for k in ("queue_id", "campaign_id")}
    problems += [v for v in ids.values() if isinstance(v, ScriptProblem)]
    try:
        definition = parse_yaml(form["definition"])
    except ScriptInvalid as exc:
        problems += exc.problems
        definition = None
    session = database.session()
    queue_id, campaign_id = ids["queue_id"], ids["campaign_id"]
    if not problems:
        assert not isinstance(queue_id, ScriptProblem) and not isinstance(campaign_id, ScriptProblem)  # in problems
        fields = ScriptFields(
            name=form["name"].strip(),
            title=form["title"],
            definition=definition,
            queue_id=queue_id,
            campaign_id=campaign_id,
            intents=parse_intents(form["intents"]),
            is_default=bool(form["is_default"]),
            active=bool(form["active"]),
        )
        try:
            saved = save_script(session, fields, script)
        except ScriptInvalid as exc:
            problems += exc.problems
        else:
            session.commit()
            flash(f"Script {saved.name} saved.", "info")
            return redirect(url_for("admin_content.scripts"))
    session.rollback()
    return render_template(
        "admin/script_form.html", script=script, form=form, problems=problems, **_script_choices()
    ), 400


@bp.post("/scripts/<int:script_id>/delete")
@login_required
@admin_only
def script_delete(script_id: int) -> Response:
    session = database.session()
    script = session.get(CallScript, script_id)
    if script is None:
        abort(404)
    name = script.name
    delete_script(session, script)
    session.commit()
    flash(f"Script {name} deleted.", "info")
    return redirect(url_for("admin_content.scripts"))


# ------------------------------------------------------------------------------- FAQ


def _faq_form(article: FaqArticle | None) -> dict[str, str]:
    if article is None:
        return {"title": "", "body": "", "tags": "", "published": "on", "language": "en"}
    return {
        "title": article.title,
        "body": article.body,
        "tags": ", ".join(map(str, article.tags or [])),
        "published": "on" if article.published else "",
        "language": article.language,
    }


@bp.get("/faq")
@login_required
@admin_only
def faq_list() -> tuple[str, int] | str:
    query = request.args.get("q", "")[:200]
    session = database.session()
    error = None
    if query.strip():
        try:
            hits = faq.search(session, query, limit=faq.MAX_LIMIT, published_only=False)
            articles = [session.get(FaqArticle, h.id) for h in hits]
        except faq.SearchError as exc:
            error, articles = str(exc), []
    else:
        articles = list(session.scalars(select(FaqArticle).order_by(FaqArticle.title).limit(500)))
    page = render_template("admin/faq.html", articles=articles, query=query, error=error)
    return (page, 400) if error else page


@bp.route("/faq/new", methods=["GET", "POST"])
@login_required
@admin_only
def faq_new() -> Any:
    return _faq_edit(None)


@bp.route("/faq/<int:article_id>", methods=["GET", "POST"])
@login_required
@admin_only
def faq_edit(article_id: int) -> Any:
    article = database.session().get(FaqArticle, article_id)
    if article is None:
        abort(404)
    return _faq_edit(article)


def _faq_edit(article: FaqArticle | None) -> Any:
    if request.method == "GET":
        return render_template("admin/faq_form.html", article=article, form=_faq_form(article), problems=[])
    form = {k: _field(k) for k in ("title", "body", "tags", "published", "language")}
    session = database.session()
    try:
        saved = faq.save_article(
            session,
            form["title"],
            form["body"],
            faq.parse_tags(form["tags"]),
            bool(form["published"]),
            article,
            language=form["language"] or "en",
        )
    except ScriptInvalid as exc:
        session.rollback()
        return render_template("admin/faq_form.html", article=article, form=form, problems=exc.problems), 400
    session.commit()
    flash(f"Article “{saved.title}” saved.", "info")
    return redirect(url_for("admin_content.faq_list"))


@bp.post("/faq/<int:article_id>/delete")
@login_required
@admin_only
def faq_delete(article_id: int) -> Response:
    session = database.session()
    article = session.get(FaqArticle, article_id)
    if article is None:
        abort(404)
    faq.delete_article(session, article)
    session.commit()
    flash("Article deleted.", "info")
    return redirect(url_for("admin_content.faq_list"))
