"""The central page's open and overdue cases and its drill-down to one hall: each open case
of a hall below, each counter's standing, and of each reported ticket its number, queue,
counter and wait.

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uplink_tickets") as batch:
        batch.add_column(sa.Column("number", sa.String(8), nullable=True))
        batch.add_column(sa.Column("service", sa.String(32), nullable=True, comment="the queue it waits in now"))
        batch.add_column(sa.Column("counter", sa.String(8), nullable=True,
                                   comment="the counter serving it, or the last one"))
        batch.add_column(sa.Column("waited", sa.Integer(), nullable=True,
                                   comment="seconds from its issue to its first call"))
    op.create_index("ix_uplink_ticket_hall_day", "uplink_tickets", ["origin", "day"])
    op.create_table(
        "uplink_cases",
        sa.Column("origin", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True, comment="rating or matter"),
        sa.Column("case_id", sa.Integer(), primary_key=True, comment="its id in its hall"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("due", sa.Date(), nullable=True, comment="the hall-local day it is due by"),
        sa.Column("light", sa.String(8), nullable=True, comment="a matter's light (电子监察): red is overdue"),
    )
    op.create_table(
        "uplink_counters",
        sa.Column("origin", sa.String(64), primary_key=True),
        sa.Column("counter", sa.String(8), primary_key=True),
        sa.Column("staffed", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, comment="its last event's time"),
    )


def downgrade() -> None:
    op.drop_table("uplink_counters")
    op.drop_table("uplink_cases")
    op.drop_index("ix_uplink_ticket_hall_day", "uplink_tickets")
    with op.batch_alter_table("uplink_tickets") as batch:
        for column in ("waited", "counter", "service", "number"):
            batch.drop_column(column)
