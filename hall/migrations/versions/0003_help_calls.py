"""Help calls from kiosks (呼叫工作人员), open until a staff member takes them.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False, comment="the kiosk"),
        sa.Column("location", sa.String(64), nullable=False, comment="where the kiosk stands"),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("presses", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("taken_by", sa.String(32), nullable=True, comment="the staff member's job number"),
    )
    op.create_index("ix_help_call_open", "help_calls", ["hall_id", "taken_at"])


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
