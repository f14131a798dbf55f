"""store performance

Revision ID: 0010
Revises: 0009

No schema change. Caller-number lookup and full-text ticket search at size (200,000 customers,
1,000,000 tickets, `bench/store.py`) met their goals by changing the queries, with the indexes
already there:

* lookup: `customers.find_by_phone` matches the normalized E.164 number on the unique index of
  `customer_phones.e164` and joins the customer's numbers in the same statement;
* search: `tickets.search` walks the primary key (or `ticket_comments.ticket_id`) from the newest
  row while matches are common, and asks the GIN indexes of migration 0003 only when they are
  rare, each side stopping at one page.

A stored tsvector column was considered and left out: it would make walking cheaper still, but
on SQLite adding it means rebuilding `tickets` (see the notes of migration 0003), and the
substring test in front of the tsvector already takes most of that cost away.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
