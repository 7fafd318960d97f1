"""The schema of the first release: tickets, their numbering, counters, ticket events,
device status. Its databases were made without Alembic and are stamped with this revision
when first opened by a later release.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="hall-local date of issue"),
        sa.Column("issued_service", sa.String(32), nullable=False),
        sa.Column("service", sa.String(32), nullable=False, comment="the queue it waits in now"),
        sa.Column("prefix", sa.String(1), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(8), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("counter", sa.String(8), nullable=True, comment="the counter serving it, or the last one"),
        sa.Column("target_counter", sa.String(8), nullable=True, comment="set by a transfer to one counter"),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("person_hash", sa.String(128), nullable=True),
        sa.UniqueConstraint("hall_id", "day", "issued_service", "seq", name="uq_ticket_seq"),
        sa.UniqueConstraint("hall_id", "day", "number", name="uq_ticket_number"),
    )
    op.create_index("ix_ticket_queue", "tickets", ["hall_id", "day", "status", "service"])
    op.create_index("ix_ticket_person", "tickets", ["hall_id", "day", "person_hash"])
    op.create_table(
        "ticket_sequences",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("service", sa.String(32), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("counter_id", sa.String(8), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("current_ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
    )
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("counter", sa.String(8), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_table(
        "device_status",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded")
