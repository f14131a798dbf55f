"""Full-text search over tickets, comments and customers.

PostgreSQL matches GIN-indexed tsvector expressions (the same expressions as the indexes of
migration 0003, so the planner uses them); SQLite matches FTS5 tables kept in step by triggers.
Both use the 'simple' configuration (no stemming, no stop words) and treat every word of the
query as a prefix that must occur: "hop refund" finds "Grace Hopper wants a refund".

The query text never reaches SQL or the full-text query syntax as written: it is cut into
words of letters and digits, and those are bound as parameters, so quotes, operators and
markup are just separators.

Results come newest first (highest id first) with keyset pagination on the id: `after` is the
last id of the previous page, so pages never repeat or skip a match while tickets are added.

Why the PostgreSQL queries look the way they do: a page is the newest `limit` matches, and the
two ways of finding them have opposite costs. Walking the primary key downwards and testing each
row stops as soon as the page is full, which is cheap when many rows match (a common word) and
ruinous when few do (an order number: every row gets tested). The GIN index finds every match
at once, which is cheap when few rows match and ruinous when most do (each match is fetched and
then sorted). The planner picks between them on its estimate of how many rows match, and for a
prefix it has no statistics about ("ord0012345:*") it guesses one row in a few hundred, which
picks the walk and tests the whole table. So `_newest_keys` measures instead of guessing: it
walks a small slice of the newest rows, and from the share that matched decides whether to go
on walking (a slice sized to fill the page) or to ask the GIN index for the remaining matches.
The walk is written so the planner cannot answer it from the GIN index nor test every row of a
slice before ordering it, and tests a cheap necessary condition (the words as substrings of the
lowercased text) before the tsvector: see `_pg_build` and `_pg_walk_match`. Tickets matched
through a comment are found the same way on the comments, keyed by ticket id, and each side
stops at one page before the two are merged, so neither side ever materializes all its matches
just to be cut to a page. On SQLite, FTS5 hands out matches in rowid order and stops at the page
by itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnClause,
    ColumnElement,
    Select,
    Text,
    TextClause,
    all_,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, selectinload

from contactcenter import phones
from contactcenter.contacts.models import Customer, CustomerPhone
from contactcenter.errors import DomainError
from contactcenter.tickets.models import Ticket, TicketComment

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
MAX_QUERY_LENGTH = 500
_WORD = re.compile(r"[^\W_]+")

# Objects the migration creates outside the models (FTS5 tables and their shadow tables on
# SQLite, expression indexes on PostgreSQL); schema comparisons skip them with `include_name`.
_SEARCH_OBJECT = re.compile(
    r"^(ix_)?(tickets|ticket_comments|customers|faq_articles)_fts(_(data|idx|content|docsize|config))?$"
)

# The text each table's rows are searched in, on PostgreSQL; `to_tsvector('simple', ...)` of it
# is what the GIN indexes of migration 0003 hold (their expressions must stay word for word).
_PG_DOCUMENT = {
    "tickets": "tickets.subject || ' ' || tickets.description",
    "ticket_comments": "ticket_comments.body",
    "customers": "customers.name || ' ' || translate(coalesce(customers.email, ''), '@.', '  ')",
}
_PG_TSVECTOR = {name: f"to_tsvector('simple'::regconfig, {doc})" for name, doc in _PG_DOCUMENT.items()}
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")

T = TypeVar("T")


class SearchError(DomainError, ValueError):
    """The query cannot be searched for (no words in it, or far too long)."""

    code = "invalid_query"


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


def _dialect(session: Session) -> str:
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise SearchError(f"full-text search is not available on {dialect}")
    return dialect


def _matching_ids(session: Session, table: str, words: Sequence[str]) -> Any:
    """SELECT of the ids in `table` whose text matches every word (as a prefix)."""
    if _dialect(session) == "postgresql":
        return select(literal_column(f"{table}.id").label("id")).select_from(text(table)).where(_pg_match(table, words))
    fts = f"{table}_fts"
    return select(literal_column(f"{fts}.rowid").label("id")).select_from(text(fts)).where(_fts_match(fts, words))


def _substring_words(session: Session, words: Sequence[str]) -> list[str]:
    """The words a walk may look for as substrings first (see `_pg_walk_match`): those of ASCII
    letters and digits, on a database whose lower() folds case as the tsvector parser does.

    The parser lowercases with the C library whatever the database's collation provider; lower()
    follows the provider, and ICU folds some letters to ASCII differently ("İ" to "i" plus a
    combining dot, where the C library gives "i"). So only libc databases get the shortcut.
    """
    ascii_words = [w for w in words if _ASCII_WORD.fullmatch(w)]
    if not ascii_words:
        return []
    info = session.connection().info
    if "contactcenter.libc_lower" not in info:
        version = session.get_bind().dialect.server_version_info or (0,)
        info["contactcenter.libc_lower"] = version < (15,) or session.scalar(
            text("SELECT datlocprovider = 'c' FROM pg_database WHERE datname = current_database()")
        )
    return ascii_words if info["contactcenter.libc_lower"] else []


def _pg_match(table: str, words: Sequence[str]) -> TextClause:
    """`table`'s row matches every word (as a prefix), in the form its GIN index answers."""
    query = " & ".join(f"{w}:*" for w in words)
    return text(f"{_PG_TSVECTOR[table]} @@ to_tsquery('simple'::regconfig, :tsquery)").bindparams(tsquery=query)


def _pg_walk_match(document: Any, words: Sequence[str], substrings: Sequence[str]) -> ColumnElement[bool]:
    """`document` (a row's text, as the GIN index expression of its table reads it) matches
    every word (as a prefix), in the form for testing rows one by one on a walk (module notes).

    `ts_match_vq` is the function behind `@@`: the same test, but not one the planner answers
    from a GIN index. Computing a row's tsvector costs about 15 µs while finding words in its
    lowercased text costs about 3, so the walk first looks for each of `substrings` (see
    `_substring_words`) in the lowercased text, which every match contains (a lexeme of the
    'simple' configuration is a lowercased stretch of the text, and the query word a lowercased
    prefix of a lexeme), and parses only the rows that contain them all.
    """
    simple: ColumnClause[Any] = literal_column("'simple'::regconfig")
    tsquery = func.to_tsquery(simple, bindparam("tsquery", " & ".join(f"{w}:*" for w in words)))
    match = func.ts_match_vq(func.to_tsvector(simple, document), tsquery, type_=Boolean)
    if not substrings:
        return match
    # Every word's substring test in one LIKE ALL, so the row's text is lowercased only once.
    # The words hold letters and digits only, so nothing in them is a LIKE wildcard.
    patterns = bindparam("patterns", ["%" + w.lower() + "%" for w in substrings], type_=ARRAY(Text))
    return and_(func.lower(document).like(all_(patterns)), match)


def _pg_build(
    table: str,
    key: Any,
    candidates: Callable[..., Select[Any]],
    words: Sequence[str],
    substrings: Sequence[str],
    *,
    distinct: bool = False,
) -> Build:
    """The `build` of `_newest_keys` on PostgreSQL for rows of `table` keyed by `key`.

    `candidates(*columns)` selects the rows that may count (a viewer's scope and the like, no
    text test). The index form tests the GIN expression directly. The walk form takes the
    slice of candidates in key order inside a subquery that OFFSET 0 fences off, and tests the
    text outside it: the planner can neither push the costly test down to run on every row of
    the slice before sorting (its estimate of how many rows pass is a guess) nor answer it from
    the GIN index, so the tests stop as soon as the page is full.
    """

    def build(lo: int | None, hi: int, walk: bool) -> Select[Any]:
        if not walk:
            stmt = candidates(key).where(_pg_match(table, words))
            return _bounded(stmt.distinct() if distinct else stmt, key, lo, hi)
        document: ColumnClause[Any] = literal_column(_PG_DOCUMENT[table])
        rows = _bounded(candidates(key.label("key"), document.label("document")), key, lo, hi)
        part = rows.offset(0).subquery("slice")
        stmt = select(part.c.key).where(_pg_walk_match(part.c.document, words, substrings))
        return (stmt.distinct() if distinct else stmt).order_by(part.c.key.desc())

    return build


def _fts_match(fts: str, words: Sequence[str]) -> TextClause:
    # Each word is a quoted FTS5 string (a double quote inside is doubled, though `terms`
    # leaves none) followed by the prefix marker.
    query = " ".join('"{}"*'.format(w.replace('"', '""')) for w in words)
    return text(f"{fts} MATCH :ftsquery").bindparams(ftsquery=query)


def _fts_rowid(fts: str) -> Any:
    return table(fts, column("rowid")).c.rowid


# Tuning of `_newest_keys`, from EXPLAIN ANALYZE on 1,000,000 tickets (PostgreSQL 15): testing a
# row while walking costs about 18 µs when its tsvector must be computed, and 3 to 5 when the
# substring test rules most rows out first; fetching one match found by the GIN index about 8 µs,
# after reading the posting lists of the words, which takes from a millisecond for a rare word to
# a hundred for a short prefix of common ones (INDEX_SETUP_US is a middle guess).
WALK_ROW_US = 18.0
WALK_ROW_PREFILTERED_US = 4.0
INDEX_MATCH_US = 8.0
INDEX_SETUP_US = 20_000.0
FIRST_SLICE_US = 8000.0  # walked before deciding: 2,000 rows prefiltered, 444 otherwise


class Build(Protocol):
    """The statement for keys in (lo, hi], as an index lookup or a walk; a protocol rather than a
    Callable alias so the SQLite `def build` and the PostgreSQL one are the same type."""

    def __call__(self, lo: int | None, hi: int, walk: bool) -> Select[Any]: ...


def _newest_keys(session: Session, build: Build, upper: int, count: int, walk_row_us: float) -> list[int]:
    """The `count` highest distinct keys below `upper` that `build` selects, highest first.

    `build(lo, hi, walk)` is a SELECT of one integer key column, restricted to lo <= key < hi
    (no lower bound when lo is None), ordered by the key descending, in the walking form when
    `walk` (see `_pg_build`). See the module notes for why this walks slices of the newest keys
    before it turns to the full-text index.
    """
    found: list[int] = []
    hi, walked, size = upper, 0, max(1, int(FIRST_SLICE_US / walk_row_us))
    while True:
        lo = hi - size if hi - size > 0 else None
        found += session.scalars(build(lo, hi, True).limit(count - len(found))).all()
        walked += hi - (lo or 0)
        if lo is None or len(found) >= count:
            return found
        hi = lo
        wanted, share = count - len(found), len(found) / walked
        # The share of matching rows is known from a handful of matches: decide on a cautious
        # figure (one standard deviation below a Poisson count), since walking on when matches
        # thin out costs far more than asking the index a little early.
        cautious = (len(found) - math.sqrt(len(found))) / walked
        # Walking on: the rows to test until the page is full. The index: every match below `hi`.
        if cautious <= 0 or INDEX_SETUP_US + INDEX_MATCH_US * share * hi < walk_row_us * wanted / cautious:
            break
        # Enough rows to fill the page at the share seen so far, and at least twice the last
        # slice, so a share that thins out further down still ends in a few slices (a slice
        # only bounds the walk: it stops as soon as the page is full).
        size = max(int(2 * wanted / share), 2 * size)
    # The rest from the GIN index: a MATERIALIZED CTE keeps the planner from turning this back
    # into a walk down the key (which it would do on a poor estimate of the matches).
    rest = build(None, hi, False).order_by(None).cte("matches").prefix_with("MATERIALIZED")
    key = rest.c[0]
    found += session.scalars(select(key).order_by(key.desc()).limit(count - len(found))).all()
    return found


def _upper(session: Session, key: Any, after: int | None) -> int:
    """Keys below this are candidates: `after`, or one above the highest key."""
    if after is not None:
        return after
    highest = session.scalar(select(func.max(key)))
    return 0 if highest is None else highest + 1


def _bounded(stmt: Select[Any], key: Any, lo: int | None, hi: int) -> Select[Any]:
    stmt = stmt.where(key < hi)
    if lo is not None:
        stmt = stmt.where(key >= lo)
    return stmt.order_by(key.desc())


def _rows_per_key(session: Session, table: str, keyed_by: str) -> float:
    """Rows of `table` per row of `keyed_by` (comments per ticket), from the planner's statistics:
    a walk down ticket ids over comments tests this many comments per ticket id."""
    ratio = session.scalar(
        text(
            "SELECT greatest(r.reltuples, 0) / greatest(k.reltuples, 1) FROM pg_class r, pg_class k "
            "WHERE r.oid = to_regclass(:table) AND k.oid = to_regclass(:keyed_by)"
        ).bindparams(table=table, keyed_by=keyed_by)
    )
    return max(1.0, float(ratio or 0.0))


def _keys(
    session: Session,
    dialect: str,
    build: Build,
    key: Any,
    substrings: Sequence[str],
    after: int | None,
    count: int,
    rows_per_key: Callable[[], float] = lambda: 1.0,
) -> list[int]:
    if dialect == "sqlite":
        # FTS5 hands out matches in rowid order and stops at the limit: nothing to decide.
        return list(session.scalars(build(None, 2**63 - 1 if after is None else after, False).limit(count)))
    upper = _upper(session, key, after)
    if upper <= 0:
        return []
    cost = WALK_ROW_PREFILTERED_US if substrings else WALK_ROW_US
    return _newest_keys(session, build, upper, count, cost * rows_per_key())


def _load(session: Session, entity: Any, ids: Sequence[int], limit: int, options: Sequence[Any] = ()) -> Page[Any]:
    """The page of `entity` rows with the highest of `ids`, highest first."""
    wanted = sorted(set(ids), reverse=True)[: limit + 1]
    more = len(wanted) > limit
    wanted = wanted[:limit]
    if not wanted:
        return Page([], None)
    stmt = select(entity).where(entity.id.in_(wanted)).order_by(entity.id.desc())
    if options:
        stmt = stmt.options(*options)
    rows = list(session.scalars(stmt))
    return Page(rows, wanted[-1] if more else None)


def _check_page(after: int | None, limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise SearchError("a page holds at least one result")
    if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
        raise SearchError("`after` is the id of the last result of the previous page")


def _ticket_keys(
    session: Session, words: Sequence[str], ticket_filter: ColumnElement[bool] | None, after: int | None, count: int
) -> list[int]:
    dialect = _dialect(session)
    if dialect == "sqlite":

        def build(lo: int | None, hi: int, walk: bool) -> Select[Any]:
            rowid = _fts_rowid("tickets_fts")
            stmt = select(rowid).select_from(rowid.table).where(_fts_match("tickets_fts", words))
            if ticket_filter is not None:
                stmt = stmt.join(Ticket, Ticket.id == rowid).where(ticket_filter)
            return _bounded(stmt, rowid, lo, hi)

        return _keys(session, dialect, build, Ticket.id, (), after, count)

    def candidates(*columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Ticket)
        return stmt if ticket_filter is None else stmt.where(ticket_filter)

    substrings = _substring_words(session, words)
    build = _pg_build("tickets", Ticket.id, candidates, words, substrings)
    return _keys(session, dialect, build, Ticket.id, substrings, after, count)


def _commented_ticket_keys(
    session: Session,
    words: Sequence[str],
    ticket_filter: ColumnElement[bool] | None,
    comment_filter: ColumnElement[bool] | None,
    after: int | None,
    count: int,
) -> list[int]:
    """Ids of tickets with a matching comment (that `comment_filter` lets count)."""
    dialect = _dialect(session)

    def scoped(stmt: Select[Any]) -> Select[Any]:
        if comment_filter is not None:
            stmt = stmt.where(comment_filter)
        if ticket_filter is not None:
            stmt = stmt.join(Ticket, Ticket.id == TicketComment.ticket_id).where(ticket_filter)
        return stmt

    if dialect == "sqlite":

        def build(lo: int | None, hi: int, walk: bool) -> Select[Any]:
            rowid = _fts_rowid("ticket_comments_fts")
            stmt = (
                select(TicketComment.ticket_id)
                .select_from(rowid.table)
                .join(TicketComment, TicketComment.id == rowid)
                .where(_fts_match("ticket_comments_fts", words))
            )
            return _bounded(scoped(stmt).distinct(), TicketComment.ticket_id, lo, hi)

        return _keys(session, dialect, build, TicketComment.ticket_id, (), after, count)

    def candidates(*columns: Any) -> Select[Any]:
        return scoped(select(*columns).select_from(TicketComment))

    substrings = _substring_words(session, words)
    build = _pg_build("ticket_comments", TicketComment.ticket_id, candidates, words, substrings, distinct=True)
    per_ticket = lambda: _rows_per_key(session, "ticket_comments", "tickets")  # noqa: E731
    return _keys(session, dialect, build, TicketComment.ticket_id, substrings, after, count, per_ticket)


def search_tickets(
    session: Session,
    query: str,
    *,
    ticket_filter: ColumnElement[bool] | None = None,
    comment_filter: ColumnElement[bool] | None = None,
    after: int | None = None,
    limit: int = 25,
) -> Page[Ticket]:
    """Tickets whose subject or description matches, or one of whose comments does, newest first.

    `ticket_filter` limits the tickets (a viewer's scope); `comment_filter` the comments that
    count (e.g. public ones only). Each side finds at most one page (plus one, to know whether
    another page follows) before the two are merged.
    """
    words = terms(query)
    _check_page(after, limit)
    ids = _ticket_keys(session, words, ticket_filter, after, limit + 1)
    ids += _commented_ticket_keys(session, words, ticket_filter, comment_filter, after, limit + 1)
    return _load(session, Ticket, ids, limit)


def search_comments(
    session: Session,
    query: str,
    *,
    ticket_filter: ColumnElement[bool] | None = None,
    comment_filter: ColumnElement[bool] | None = None,
    after: int | None = None,
    limit: int = 25,
) -> Page[TicketComment]:
    """Comments that match, newest first, on tickets `ticket_filter` lets the viewer see."""
    words = terms(query)
    _check_page(after, limit)
    dialect = _dialect(session)

    def scoped(stmt: Select[Any]) -> Select[Any]:
        if comment_filter is not None:
            stmt = stmt.where(comment_filter)
        if ticket_filter is not None:
            stmt = stmt.join(Ticket, Ticket.id == TicketComment.ticket_id).where(ticket_filter)
        return stmt

    substrings: list[str] = []
    if dialect == "sqlite":

        def build(lo: int | None, hi: int, walk: bool) -> Select[Any]:
            key = _fts_rowid("ticket_comments_fts")
            stmt = select(key).select_from(key.table).where(_fts_match("ticket_comments_fts", words))
            if comment_filter is not None or ticket_filter is not None:
                stmt = scoped(stmt.join(TicketComment, TicketComment.id == key))
            return _bounded(stmt, key, lo, hi)
    else:
        substrings = _substring_words(session, words)
        build = _pg_build(
            "ticket_comments",
            TicketComment.id,
            lambda *columns: scoped(select(*columns).select_from(TicketComment)),
            words,
            substrings,
        )

    ids = _keys(session, dialect, build, TicketComment.id, substrings, after, limit + 1)
    return _load(session, TicketComment, ids, limit)


def search_customers(
    session: Session, query: str, *, after: int | None = None, limit: int = 25, default_region: str = "US"
) -> Page[Customer]:
    """Customers whose name or e-mail matches; a query that is a phone number in any format
    also finds the customer owning that number."""
    words = terms(query)
    _check_page(after, limit)
    dialect = _dialect(session)
    substrings: list[str] = []
    if dialect == "sqlite":

        def build(lo: int | None, hi: int, walk: bool) -> Select[Any]:
            key = _fts_rowid("customers_fts")
            return _bounded(select(key).select_from(key.table).where(_fts_match("customers_fts", words)), key, lo, hi)
    else:
        substrings = _substring_words(session, words)
        build = _pg_build(
            "customers", Customer.id, lambda *columns: select(*columns).select_from(Customer), words, substrings
        )

    ids = _keys(session, dialect, build, Customer.id, substrings, after, limit + 1)
    e164 = phones.try_normalize(query, default_region) if any(ch.isdigit() for ch in query) else None
    if e164 is not None:
        owner = select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164)
        if after is not None:
            owner = owner.where(CustomerPhone.customer_id < after)
        ids += session.scalars(owner).all()
    return _load(session, Customer, ids, limit, (selectinload(Customer.phones),))
