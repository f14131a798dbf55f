"""Full-text search over tickets, comments and customers.

PostgreSQL matches GIN-indexed tsvector expressions (the same expressions as the indexes of
migration 0003, so the planner uses them); SQLite matches FTS5 tables kept in step by triggers.
Both use the 'simple' configuration (no stemming, no stop words) and treat every word of the
query as a prefix that must occur: "hop refund" finds "Grace Hopper wants a refund".

The query text never reaches SQL or the full-text query syntax as written: it is cut into
words of letters and digits, and those are bound as parameters, so quotes, operators and
markup are just separators. Results come newest first with keyset pagination on the id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, Sequence, TypeVar

from sqlalchemy import ColumnElement, Select, literal_column, select, text, union
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.tickets.models import Customer, CustomerPhone, Ticket, TicketComment

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
MAX_QUERY_LENGTH = 500
_WORD = re.compile(r"[^\W_]+")

# Objects the migration creates outside the models (FTS5 tables and their shadow tables on
# SQLite, expression indexes on PostgreSQL); schema comparisons skip them with `include_name`.
_SEARCH_OBJECT = re.compile(
    r"^(ix_)?(tickets|ticket_comments|customers)_fts(_(data|idx|content|docsize|config))?$"
)

_PG_TSVECTOR = {
    "tickets": "to_tsvector('simple'::regconfig, tickets.subject || ' ' || tickets.description)",
    "ticket_comments": "to_tsvector('simple'::regconfig, ticket_comments.body)",
    "customers": (
        "to_tsvector('simple'::regconfig, customers.name || ' ' || "
        "translate(coalesce(customers.email, ''), '@.', '  '))"
    ),
}

T = TypeVar("T")


class SearchError(ValueError):
    """The query cannot be searched for (no words in it, or far too long)."""


def include_name(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic `include_name` hook: False for the search objects that live outside the models."""
    return not (name and _SEARCH_OBJECT.match(name))


def terms(query: str) -> list[str]:
    if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH:
        raise SearchError(f"a search query is text of at most {MAX_QUERY_LENGTH} characters")
    # Words keep their case: each engine folds it with the same rules it indexed with.
    seen: dict[str, str] = {}
    for word in _WORD.findall(query):
        seen.setdefault(word.casefold(), word[:MAX_TERM_LENGTH])
    unique = list(seen.values())[:MAX_TERMS]
    if not unique:
        raise SearchError("a search query needs at least one word of letters or digits")
    return unique


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_after: int | None  # pass as `after` for the next page; None on the last page


def _matching_ids(session: Session, table: str, words: Sequence[str]) -> Any:
    """SELECT of the ids in `table` whose text matches every word (as a prefix)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return select(literal_column(f"{table}.id").label("id")).select_from(text(table)).where(
            text(f"{_PG_TSVECTOR[table]} @@ to_tsquery('simple'::regconfig, :tsquery)").bindparams(tsquery=query)
        )
    if dialect == "sqlite":
        query = " ".join(f'"{w}"*' for w in words)
        fts = f"{table}_fts"
        return select(literal_column(f"{fts}.rowid").label("id")).select_from(text(fts)).where(
            text(f"{fts} MATCH :ftsquery").bindparams(ftsquery=query)
        )
    raise SearchError(f"full-text search is not available on {dialect}")


def _page(session: Session, query: Select[Any], id_column: Any, after: int | None, limit: int) -> Page[Any]:
    if after is not None:
        query = query.where(id_column < after)
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def search_tickets(
    session: Session,
    query: str,
    *,
    ticket_filter: ColumnElement[bool] | None = None,
    comment_filter: ColumnElement[bool] | None = None,
    after: int | None = None,
    limit: int = 25,
) -> Page[Ticket]:
    """Tickets whose subject or description matches, or one of whose comments does.

    `ticket_filter` limits the tickets (a viewer's scope); `comment_filter` the comments that
    count (e.g. public ones only).
    """
    words = terms(query)
    by_comment = select(TicketComment.ticket_id).where(TicketComment.id.in_(_matching_ids(session, "ticket_comments", words)))
    if comment_filter is not None:
        by_comment = by_comment.where(comment_filter)
    ids = union(_matching_ids(session, "tickets", words), by_comment).subquery()
    stmt = select(Ticket).where(Ticket.id.in_(select(ids.c[0])))
    if ticket_filter is not None:
        stmt = stmt.where(ticket_filter)
    return _page(session, stmt, Ticket.id, after, limit)


def search_comments(
    session: Session,
    query: str,
    *,
    ticket_filter: ColumnElement[bool] | None = None,
    comment_filter: ColumnElement[bool] | None = None,
    after: int | None = None,
    limit: int = 25,
) -> Page[TicketComment]:
    stmt = select(TicketComment).where(TicketComment.id.in_(_matching_ids(session, "ticket_comments", terms(query))))
    if ticket_filter is not None:
        stmt = stmt.join(Ticket, Ticket.id == TicketComment.ticket_id).where(ticket_filter)
    if comment_filter is not None:
        stmt = stmt.where(comment_filter)
    return _page(session, stmt, TicketComment.id, after, limit)


def search_customers(
    session: Session, query: str, *, after: int | None = None, limit: int = 25, default_region: str = "US"
) -> Page[Customer]:
    """Customers whose name or e-mail matches; a query that is a phone number in any format
    also finds the customer owning that number."""
    words = terms(query)
    matches = Customer.id.in_(_matching_ids(session, "customers", words))
    e164 = phones.try_normalize(query, default_region) if any(ch.isdigit() for ch in query) else None
    if e164 is not None:
        matches = matches | Customer.id.in_(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164))
    return _page(session, select(Customer).where(matches), Customer.id, after, limit)
