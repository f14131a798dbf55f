"""FAQ articles: full-text search ranked by relevance, suggestions for a call, and editing.

Search objects come from migration 0008 and live outside the models (as the ticket search's do):
SQLite matches an FTS5 table kept in step by triggers and ranks with bm25, title and tags
weighing more than the body; PostgreSQL matches the GIN-indexed weighted tsvector (the same
expression as the index, so the planner uses it) and ranks with ts_rank. Both use the 'simple'
configuration: no stemming, every query word is a prefix ("refu" finds "refund").

Query text is cut into words by `contactcenter.tickets.search.terms` and bound as parameters:
quotes, operators and markup never reach SQL or the full-text syntax. Ranked results page by
offset (relevance has no stable key to page on), capped so a request cannot ask for the world.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from contactcenter.scripts.definition import ScriptInvalid, ScriptProblem
from contactcenter.scripts.models import FaqArticle
from contactcenter.tickets.search import SearchError, terms

__all__ = ["FaqHit", "SearchError", "delete_article", "save_article", "search", "suggestions"]

MAX_LIMIT = 50
MAX_OFFSET = 1000
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_TAGS = 20
TAG = re.compile(r"^[\w-]{1,40}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
SUGGESTIONS = 5

# Keep in step with migration 0008.
_PG_TSVECTOR = (
    "setweight(to_tsvector('simple'::regconfig, faq_articles.title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, faq_articles.body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, faq_articles.tags::text), 'A')"
)
# bm25 weights per FTS5 column: title, body, tags.
_SQLITE_WEIGHTS = "10.0, 1.0, 8.0"


@dataclass(frozen=True)
class FaqHit:
    id: int
    title: str
    body: str
    tags: list[str]
    published: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "body": self.body, "tags": self.tags, "published": self.published}


def _ranked_ids(
    session: Session,
    words: Sequence[str],
    *,
    any_word: bool,
    published_only: bool,
    limit: int,
    offset: int,
    language: str | None = None,
) -> list[int]:
    dialect = session.get_bind().dialect.name
    published = "AND faq_articles.published" if published_only else ""
    if language is not None:
        published += " AND faq_articles.language = :language"
    if dialect == "postgresql":
        query = (" | " if any_word else " & ").join(f"{w}:*" for w in words)
        sql = (
            f"SELECT faq_articles.id FROM faq_articles, to_tsquery('simple'::regconfig, :q) AS query "
            f"WHERE ({_PG_TSVECTOR}) @@ query {published} "
            f"ORDER BY ts_rank({_PG_TSVECTOR}, query) DESC, faq_articles.id DESC LIMIT :limit OFFSET :offset"
        )
    elif dialect == "sqlite":
        # A double quote inside a word would end the FTS5 string; terms() yields letters and digits only.
        query = (" OR " if any_word else " ").join(f'"{w}"*' for w in words)
        sql = (
            "SELECT faq_articles.id FROM faq_articles_fts "
            "JOIN faq_articles ON faq_articles.id = faq_articles_fts.rowid "
            f"WHERE faq_articles_fts MATCH :q {published} "
            f"ORDER BY bm25(faq_articles_fts, {_SQLITE_WEIGHTS}), faq_articles.id DESC LIMIT :limit OFFSET :offset"
        )
    else:
        raise SearchError(f"full-text search is not available on {dialect}")
    return list(session.scalars(text(sql), {"q": query, "limit": limit, "offset": offset, "language": language}))


def _hits(session: Session, ids: list[int]) -> list[FaqHit]:
    articles = {a.id: a for a in session.scalars(select(FaqArticle).where(FaqArticle.id.in_(ids)))} if ids else {}
    return [_hit(articles[i]) for i in ids if i in articles]


def _hit(article: FaqArticle) -> FaqHit:
    return FaqHit(article.id, article.title, article.body, [str(t) for t in article.tags or []], article.published)


def search(
    session: Session,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    published_only: bool = True,
    language: str | None = None,
) -> list[FaqHit]:
    """Articles matching every word of `query` (as prefixes), most relevant first.

    Raises SearchError for a query with no words or one that is far too long, and ValueError for
    a limit or offset out of range.
    """
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"limit is 1-{MAX_LIMIT} and offset 0-{MAX_OFFSET}")
    words = terms(query)
    ids = _ranked_ids(
        session, words, any_word=False, published_only=published_only, limit=limit, offset=offset, language=language
    )
    return _hits(session, ids)


def suggestions(session: Session, intent: str | None, *, limit: int = SUGGESTIONS) -> list[FaqHit]:
    """Published articles for a call's IVR intent: tagged with it first, then by relevance.

    "order_status" is read as the words "order" and "status", any of which may match; a tag
    matches the intent when their words do ("technical support" ~ "technical_support").
    """
    if not intent:
        return []
    try:
        words = terms(intent)
    except SearchError:
        return []
    hits = _hits(session, _ranked_ids(session, words, any_word=True, published_only=True, limit=MAX_LIMIT, offset=0))
    wanted = _words_key(intent)
    tagged = [h for h in hits if wanted in {_words_key(t) for t in h.tags}]
    return (tagged + [h for h in hits if h not in tagged])[:limit]


def _words_key(value: str) -> str:
    """ "Technical support", "technical_support" and "technical-support" compare equal."""
    return " ".join(re.findall(r"[^\W_]+", value)).casefold()


def parse_tags(raw: str) -> list[str]:
    """Tags from "billing, refund  returns" (commas or spaces), deduplicated, order kept."""
    return list(dict.fromkeys(t for t in re.split(r"[,\s]+", raw or "") if t))


def check_article(title: str, body: str, tags: Sequence[str], language: str = "en") -> list[ScriptProblem]:
    problems: list[ScriptProblem] = []
    if not LANGUAGE.match(language):
        problems.append(ScriptProblem("bad-language", "the language is a tag such as en, es or pt-BR"))
    if not title.strip() or len(title) > MAX_TITLE:
        problems.append(ScriptProblem("bad-title", f"the title is 1-{MAX_TITLE} characters"))
    if not body.strip() or len(body) > MAX_BODY:
        problems.append(ScriptProblem("bad-body", f"the body is 1-{MAX_BODY} characters"))
    if len(tags) > MAX_TAGS or any(not TAG.match(t) for t in tags):
        problems.append(ScriptProblem("bad-tags", f"up to {MAX_TAGS} tags of letters, digits, '-' or '_' (40 at most)"))
    return problems


def save_article(
    session: Session,
    title: str,
    body: str,
    tags: Sequence[str],
    published: bool = True,
    article: FaqArticle | None = None,
    language: str = "en",
) -> FaqArticle:
    """Create or update an article; raises ScriptInvalid listing every problem, storing nothing."""
    language = language.strip()
    problems = check_article(title, body, tags, language)
    if problems:
        raise ScriptInvalid(problems)
    if article is None:
        article = FaqArticle(title="", body="")
        session.add(article)
    article.title, article.body = title.strip(), body.strip()
    article.tags, article.published = list(dict.fromkeys(tags)), published
    article.language = language
    session.flush()
    return article


def languages(session: Session) -> list[str]:
    """The languages of the published articles, most articles first."""
    rows = session.execute(
        select(FaqArticle.language, func.count(FaqArticle.id))
        .where(FaqArticle.published.is_(True))
        .group_by(FaqArticle.language)
        .order_by(func.count(FaqArticle.id).desc(), FaqArticle.language)
    )
    return [language for language, _ in rows]


def delete_article(session: Session, article: FaqArticle) -> None:
    session.delete(article)
    session.flush()
