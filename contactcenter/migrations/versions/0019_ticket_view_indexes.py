"""Ticket views at size: the tickets still being worked on, per person, per queue, by update time

Revision ID: 0019_ticket_view_indexes
Revises: 0018_customer_company_merge

"My open tickets", "My queues", "Unassigned" and "Pending" ask for tickets still being worked on —
a small part of a help desk's history — for one person or a few queues, newest update first, 50 at
a time. With only single-column indexes over every ticket ever, the planner walked the whole
update-time index looking for them (a second and more at a million tickets when a person held none).
These partial indexes hold only the tickets still being worked on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_ticket_view_indexes"
down_revision = "0018_customer_company_merge"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('new', 'open', 'pending', 'on_hold')"
INDEXES = {
    "ix_tickets_active_updated": ["updated_at"],
    "ix_tickets_active_assignee": ["assignee_id", "updated_at"],
    "ix_tickets_active_queue": ["queue_id", "updated_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns, postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
