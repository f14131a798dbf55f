"""Admin pages for call scripts and FAQ articles: admins only, validation shown, input escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.scripts.models import CallScript, FaqArticle
from tests.support.factories import gen_agent, gen_queue
from tests.support.knowledge import WELCOME_YAML, gen_welcome_script
from tests.support.web_client import log_in


@pytest.fixture
def admin(db, client):  # type: ignore[no-untyped-def]
    gen_agent(db, "root", role=Role.ADMIN)
    log_in(client, "root")
    return client


def script_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "welcome",
        "title": "Welcome",
        "definition": WELCOME_YAML,
        "queue_id": "",
        "campaign_id": "",
        "intents": "billing, refund",
        "active": "on",
    }
    form.update(changes)
    return form


def scripts(db):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(CallScript)))


# ------------------------------------------------------------------------------- who


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_only_admins_open_the_content_pages(db, client, role):
    gen_agent(db, "someone", role=role)
    log_in(client, "someone")
    for path in ("/admin/scripts", "/admin/scripts/new", "/admin/faq", "/admin/faq/new"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/scripts/new", data=script_form()).status_code == 403
    assert scripts(db) == []


def test_content_pages_need_a_login(client):
    assert client.get("/admin/scripts").status_code == 302


# ------------------------------------------------------------------------------- scripts


def test_an_admin_creates_a_script(db, admin):
    support = gen_queue(db, "support")
    resp = admin.post("/admin/scripts/new", data=script_form(queue_id=str(support.id)))
    assert resp.status_code == 302
    (script,) = scripts(db)
    assert (script.queue_id, script.intents, script.definition["steps"]["greet"]["kind"]) == (
        support.id,
        ["billing", "refund"],
        "choice",
    )


def test_the_script_list_shows_the_script(db, admin):
    gen_welcome_script(db)
    page = admin.get("/admin/scripts")
    assert page.status_code == 200 and b"welcome" in page.data


def test_a_dangling_step_is_shown_and_nothing_saved(db, admin):
    resp = admin.post(
        "/admin/scripts/new", data=script_form(definition=WELCOME_YAML.replace("next: close}", "next: nowhere}"))
    )
    assert resp.status_code == 400
    assert b"does not exist" in resp.data and b'data-code="dangling"' in resp.data
    assert scripts(db) == []


def test_an_unknown_variable_is_shown(db, admin):
    resp = admin.post(
        "/admin/scripts/new",
        data=script_form(definition=WELCOME_YAML.replace("{customer.first_name}", "{customer.password_hash}")),
    )
    assert resp.status_code == 400 and b'data-code="unknown-variable"' in resp.data


def test_an_unreachable_step_is_shown(db, admin):
    resp = admin.post("/admin/scripts/new", data=script_form(definition=WELCOME_YAML + "  lost: {say: x, kind: end}\n"))
    assert resp.status_code == 400 and b'data-code="unreachable"' in resp.data


def test_broken_yaml_is_shown(db, admin):
    resp = admin.post("/admin/scripts/new", data=script_form(definition="start: [unclosed"))
    assert resp.status_code == 400 and b'data-code="bad-yaml"' in resp.data


def test_a_hostile_title_is_escaped_when_shown(db, admin):
    admin.post("/admin/scripts/new", data=script_form(title="<script>alert(1)</script>"))
    page = admin.get("/admin/scripts")
    assert b"<script>alert(1)" not in page.data and b"&lt;script&gt;alert(1)" in page.data


def test_hostile_text_in_a_refused_form_is_escaped(db, admin):
    resp = admin.post("/admin/scripts/new", data=script_form(name="<img src=x onerror=alert(1)>"))
    assert resp.status_code == 400
    assert b"<img src=x" not in resp.data and b"&lt;img src=x onerror=alert(1)&gt;" in resp.data


@pytest.mark.parametrize("field", ["queue_id", "campaign_id"])
def test_a_hostile_id_is_refused(db, admin, field):
    resp = admin.post("/admin/scripts/new", data=script_form(**{field: "1 OR 1=1"}))
    assert resp.status_code == 400 and scripts(db) == []


def test_an_id_that_does_not_exist_is_refused(db, admin):
    resp = admin.post("/admin/scripts/new", data=script_form(queue_id="999999"))
    assert resp.status_code == 400 and b'data-code="bad-queue"' in resp.data


def test_an_oversized_definition_is_413(db, admin):
    resp = admin.post("/admin/scripts/new", data=script_form(definition="#" * 70_000))
    assert resp.status_code == 413 and scripts(db) == []


def test_an_admin_edits_a_script(db, admin):
    script = gen_welcome_script(db)
    form = admin.get(f"/admin/scripts/{script.id}")
    assert b"Hello {customer.first_name}" in form.data
    resp = admin.post(f"/admin/scripts/{script.id}", data=script_form(title="Hello line"))
    assert resp.status_code == 302
    db.refresh(script)
    assert script.title == "Hello line" and script.is_default is False


def test_an_admin_deletes_a_script(db, admin):
    script = gen_welcome_script(db)
    assert admin.post(f"/admin/scripts/{script.id}/delete").status_code == 302
    assert scripts(db) == []


def test_an_unknown_script_is_404(admin):
    assert admin.get("/admin/scripts/424242").status_code == 404
    assert admin.post("/admin/scripts/424242/delete").status_code == 404


def test_script_forms_need_a_csrf_token(app, db, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin.post("/admin/scripts/new", data=script_form()).status_code == 400
    assert scripts(db) == []


# ------------------------------------------------------------------------------- FAQ


def articles(db):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(FaqArticle)))


def test_an_admin_creates_an_article(db, admin):
    resp = admin.post(
        "/admin/faq/new", data={"title": "Refunds", "body": "Five days.", "tags": "billing refund", "published": "on"}
    )
    assert resp.status_code == 302
    (article,) = articles(db)
    assert (article.title, article.tags, article.published) == ("Refunds", ["billing", "refund"], True)


def test_an_article_without_a_body_is_refused_with_the_reason(db, admin):
    resp = admin.post("/admin/faq/new", data={"title": "Refunds", "body": " ", "tags": ""})
    assert resp.status_code == 400 and b'data-code="bad-body"' in resp.data and articles(db) == []


def test_hostile_tags_are_refused_and_shown_escaped(db, admin):
    resp = admin.post("/admin/faq/new", data={"title": "T", "body": "B", "tags": "<script>x</script>"})
    assert resp.status_code == 400 and b'data-code="bad-tags"' in resp.data
    assert b'value="&lt;script&gt;x&lt;/script&gt;"' in resp.data and articles(db) == []


def test_an_admin_edits_and_unpublishes_an_article(db, admin):
    from contactcenter.scripts import faq

    article = faq.save_article(db, "Refunds", "Five days.", ["billing"])
    resp = admin.post(
        f"/admin/faq/{article.id}", data={"title": "Refunds, explained", "body": "Five days.", "tags": ""}
    )
    assert resp.status_code == 302
    db.refresh(article)
    assert (article.title, article.published) == ("Refunds, explained", False)


def test_the_admin_faq_search_finds_unpublished_articles(db, admin):
    from contactcenter.scripts import faq

    faq.save_article(db, "Refund policy draft", "Soon.", [], published=False)
    page = admin.get("/admin/faq?q=draft")
    assert page.status_code == 200 and b"Refund policy draft" in page.data


def test_an_admin_faq_search_without_words_is_400(admin):
    assert admin.get("/admin/faq?q=%21%21").status_code == 400


def test_an_admin_deletes_an_article(db, admin):
    from contactcenter.scripts import faq

    article = faq.save_article(db, "Refunds", "Five days.", [])
    assert admin.post(f"/admin/faq/{article.id}/delete").status_code == 302
    assert articles(db) == []


def test_the_script_list_says_what_each_script_serves(db, admin):
    support = gen_queue(db, "support", display_name="<b>Support</b>")
    gen_welcome_script(db, queue_id=support.id, intents=["billing"], is_default=False)
    page = admin.get("/admin/scripts").get_data(as_text=True)
    assert "queue &lt;b&gt;Support&lt;/b&gt;; intents billing" in page
