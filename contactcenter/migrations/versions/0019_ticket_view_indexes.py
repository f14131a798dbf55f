"""Ticket views at size: each person's and each queue's tickets in update order

Revision ID: 0019_ticket_view_indexes
Revises: 0018_customer_company_merge

"My open tickets", "My queues" and "Unassigned" ask for a person's or a few queues' tickets, newest
update first, 50 at a time. With only single-column indexes the planner walked the whole update-time
index looking for them (a second and more at a million tickets when a person holds none); these
two indexes find them directly, in order; and the tickets still being worked on have an update-time
index of their own, so a view of them that holds few or none walks those, not every ticket ever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ACTIVE = "status IN ('new', 'open', 'pending', 'on_hold')"

revision = "0019_ticket_view_indexes"
down_revision = "0018_customer_company_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_assignee_updated", "tickets", ["assignee_id", "updated_at"])
    op.create_index("ix_tickets_queue_updated", "tickets", ["queue_id", "updated_at"])
    op.create_index(
        "ix_tickets_active_updated",
        "tickets",
        ["updated_at"],
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_active_updated", table_name="tickets")
    op.drop_index("ix_tickets_queue_updated", table_name="tickets")
    op.drop_index("ix_tickets_assignee_updated", table_name="tickets")
