"""/api/search: full text over tickets, comments or customers, newest first, keyset pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from contactcenter.tickets import access, search
from web import database
from web.api import render
from web.api.core import Query, cursor_id, encode_cursor, fail, page, viewer

TYPES = ("tickets", "comments", "customers")


def run_search() -> Response:
    session = database.session()
    q = Query(("q", "type"))
    text = q.text("q", search.MAX_QUERY_LENGTH)
    if text is None:
        fail(400, "invalid_query", "give the words to look for as q")
    kind = q.choice("type", TYPES, "tickets")
    limit = q.limit()
    after = q.cursor(f"search-{kind}", cursor_id)
    scope = access.ticket_filter(viewer())
    result: search.Page[Any]
    renderer: Callable[[Any], dict[str, Any]]
    if kind == "tickets":
        result = search.search_tickets(session, text, ticket_filter=scope, after=after, limit=limit)
        renderer = render.ticket
    elif kind == "comments":
        result = search.search_comments(session, text, ticket_filter=scope, after=after, limit=limit)
        renderer = render.comment
    else:
        region = database.runtime().settings.default_region
        result = search.search_customers(session, text, after=after, limit=limit, default_region=region)
        renderer = render.customer
    cursor = None if result.next_after is None else encode_cursor(f"search-{kind}", [result.next_after])
    return page(result.items, renderer, cursor)


ROUTES = [("/search", run_search, ["GET"])]
