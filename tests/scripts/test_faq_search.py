"""FAQ search: prefixes, ranking, published only, hostile queries, suggestions by intent."""

from __future__ import annotations

import pytest

from contactcenter.scripts import faq
from contactcenter.scripts.definition import ScriptInvalid


@pytest.fixture
def articles(db):  # type: ignore[no-untyped-def]
    made = {
        "refund": faq.save_article(
            db, "How refunds work", "Refunds reach the card within 5 days.", ["billing", "refund"]
        ),
        "invoice": faq.save_article(
            db, "Download an invoice", "Invoices are under Account; refunds appear there too.", ["billing"]
        ),
        "track": faq.save_article(
            db, "Track your order", "Use the order number from the e-mail.", ["order_status", "delivery"]
        ),
        "draft": faq.save_article(db, "Refund policy draft", "Not ready yet.", ["refund"], published=False),
    }
    return made


def titles(hits):  # type: ignore[no-untyped-def]
    return [h.title for h in hits]


def test_a_word_prefix_finds_the_article(db, articles):
    assert titles(faq.search(db, "trac")) == ["Track your order"]


def test_every_word_must_match(db, articles):
    assert titles(faq.search(db, "refunds card")) == ["How refunds work"]


def test_a_title_match_ranks_above_a_body_match(db, articles):
    assert titles(faq.search(db, "refunds")) == ["How refunds work", "Download an invoice"]


def test_tags_are_searched(db, articles):
    assert titles(faq.search(db, "delivery")) == ["Track your order"]


def test_unpublished_articles_are_not_found_on_the_desktop(db, articles):
    assert "Refund policy draft" not in titles(faq.search(db, "refund"))


def test_admins_can_search_unpublished_articles(db, articles):
    assert "Refund policy draft" in titles(faq.search(db, "draft", published_only=False))


def test_an_edit_is_searchable_at_once(db, articles):
    faq.save_article(db, "Where is my parcel", "Tracking numbers.", ["delivery"], article=articles["track"])
    assert titles(faq.search(db, "parcel")) == ["Where is my parcel"]


def test_a_deleted_article_is_not_found(db, articles):
    faq.delete_article(db, articles["track"])
    assert faq.search(db, "track") == []


def test_sql_in_a_query_matches_nothing_rather_than_everything(db, articles):
    assert faq.search(db, "' OR 1=1 --") == []


@pytest.mark.parametrize("query", ['"refunds" card', "refunds* (card)", "refunds^ -card", "{refunds}:card;"])
def test_full_text_operators_are_just_separators(db, articles, query):
    assert titles(faq.search(db, query)) == ["How refunds work"]


def test_a_query_without_words_is_refused(db, articles):
    with pytest.raises(faq.SearchError):
        faq.search(db, "!!! ---")


def test_an_oversized_query_is_refused(db, articles):
    with pytest.raises(faq.SearchError):
        faq.search(db, "refund " * 200)


def test_paging_returns_the_next_hits(db, articles):
    assert titles(faq.search(db, "refunds", limit=1, offset=1)) == ["Download an invoice"]


def test_a_limit_out_of_range_is_refused(db, articles):
    with pytest.raises(ValueError):
        faq.search(db, "refund", limit=500)


def test_suggestions_put_articles_tagged_with_the_intent_first(db, articles):
    assert titles(faq.suggestions(db, "order_status")) == ["Track your order"]


def test_suggestions_for_billing_list_billing_articles(db, articles):
    assert set(titles(faq.suggestions(db, "billing"))) == {"How refunds work", "Download an invoice"}


def test_no_intent_means_no_suggestions(db, articles):
    assert faq.suggestions(db, None) == []


def test_an_article_needs_a_title(db):
    with pytest.raises(ScriptInvalid) as err:
        faq.save_article(db, "  ", "body", [])
    assert err.value.problems[0].code == "bad-title"


def test_hostile_tags_are_refused(db):
    with pytest.raises(ScriptInvalid) as err:
        faq.save_article(db, "T", "B", ["<b>x</b>"])
    assert err.value.problems[0].code == "bad-tags"


def test_a_tag_written_with_underscores_matches_an_intent_with_spaces(db, articles):
    faq.save_article(db, "Support hours", "Ask support anything during opening hours.", ["support"])
    tagged = faq.save_article(db, "Router lights", "Red means no signal.", ["technical_support"])
    assert faq.suggestions(db, "technical support")[0].id == tagged.id
