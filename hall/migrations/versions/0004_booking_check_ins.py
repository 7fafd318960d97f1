"""Bookings checked in at a kiosk, one row per booking id, so that a code checks in once.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_check_ins",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("booking_id", sa.String(20), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
