"""FAQ articles carry the language they are written in

Revision ID: 0026_faq_language
Revises: 0025_call_recordings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_faq_language"
down_revision = "0025_call_recordings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_articles") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("faq_articles") as batch:
        batch.drop_column("language")
