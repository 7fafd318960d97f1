"""The hall display's notice line (通知公告), set by a supervisor from the console: one per
hall, replaced whole.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "display_notices",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("text", sa.String(200), nullable=False, server_default=""),
        sa.Column("set_by", sa.String(32), nullable=True, comment="the supervisor's job number"),
        sa.Column("set_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("display_notices")
