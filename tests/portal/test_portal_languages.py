"""Answers in the customer's language: articles carry one, the help center shows that language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role
from contactcenter.scripts import faq
from contactcenter.scripts.models import FaqArticle
from tests.support.factories import gen_agent
from tests.support.web_client import logged_in


def _articles(db: Session) -> None:
    faq.save_article(db, "Refunds", "Refunds take five days.", ["billing"])
    faq.save_article(db, "Shipping", "Parcels arrive in three days.", [])
    faq.save_article(db, "Reembolsos", "Los reembolsos tardan cinco días.", ["billing"], language="es")
    db.commit()


def test_the_help_center_shows_the_chosen_languages_answers(client, db: Session) -> None:
    _articles(db)
    spanish = client.get("/help?lang=es").get_data(as_text=True)
    assert "Reembolsos" in spanish and "Shipping" not in spanish
    english = client.get("/help?lang=en").get_data(as_text=True)
    assert "Shipping" in english and "Reembolsos" not in english


def test_search_stays_in_the_language(client, db: Session) -> None:
    _articles(db)
    assert "Reembolsos" in client.get("/help?lang=es&q=reembolsos").get_data(as_text=True)
    assert "Reembolsos" not in client.get("/help?lang=en&q=reembolsos").get_data(as_text=True)


def test_the_browsers_language_is_the_default_and_unknown_ones_fall_back(client, db: Session) -> None:
    _articles(db)
    page = client.get("/help", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
    assert "Reembolsos" in page and "Shipping" not in page
    fallback = client.get("/help?lang=<script>", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Shipping" in fallback and "<script>" not in fallback  # the language with most articles


def test_an_admin_writes_an_article_in_a_language(client, db: Session) -> None:
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    admin = logged_in(client.application, "ann")
    form = {"title": "Envíos", "body": "Tres días.", "tags": "", "published": "on", "language": "es"}
    assert admin.post("/admin/faq/new", data=form).status_code == 302
    db.expire_all()
    assert db.scalars(select(FaqArticle.language).where(FaqArticle.title == "Envíos")).one() == "es"


def test_a_language_that_is_not_a_tag_is_refused(client, db: Session) -> None:
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    admin = logged_in(client.application, "ann")
    form = {
        "title": "X",
        "body": "Y",
        "tags": "",
        "published": "on",
        "language": "english'; DROP TABLE faq_articles;--",
    }
    response = admin.post("/admin/faq/new", data=form)
    assert response.status_code == 400 and "the language is a tag" in response.get_data(as_text=True)
    assert db.scalars(select(FaqArticle)).all() == []
