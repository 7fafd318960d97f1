"""Reporting up (hall.uplink): the sender's one row, and on a parent its regions, its halls,
the events they sent and the figures its central page reads.

Revision ID: 0012
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uplink_state",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("acked", sa.Integer(), nullable=False, comment="the last event id the parent stored"),
        sa.Column("definition_digest", sa.String(64), nullable=False, server_default="",
                  comment="of the hall definition the parent took last"),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    op.create_table(
        "uplink_halls",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("via", sa.String(64), nullable=True, comment="the child hall that relays this one's events"),
        sa.Column("acked", sa.Integer(), nullable=False, comment="the last sequence number stored from it"),
        sa.Column("heard_at", sa.DateTime(), nullable=True),
        sa.Column("definition", sa.Text(), nullable=True, comment="its hall definition, JSON"),
        sa.Column("definition_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_uplink_halls_region", "uplink_halls", ["region"])
    op.create_table(
        "uplink_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("origin", sa.String(64), nullable=False, comment="the hall the event happened in"),
        sa.Column("origin_id", sa.Integer(), nullable=False, comment="its id in that hall's event log"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="hall-local date"),
        sa.Column("counter", sa.String(8), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.UniqueConstraint("origin", "origin_id", name="uq_uplink_event"),
    )
    op.create_table(
        "uplink_tickets",
        sa.Column("origin", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("called", sa.Boolean(), nullable=False, comment="its first call is counted"),
    )
    op.create_index("ix_uplink_ticket_waiting", "uplink_tickets", ["day", "status", "origin", "issued_at"])
    op.create_table(
        "uplink_days",
        sa.Column("origin", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"), comment=comment)
          for name, comment in (("issued", None), ("served", None), ("waits", "first calls"),
                                ("wait_seconds", "their waits, summed"), ("rated", None),
                                ("satisfied", "rated 3 to 5"))),
    )
    op.create_table(
        "uplink_devices",
        sa.Column("origin", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(128), primary_key=True),
        sa.Column("alarm", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "region_supervisors",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("job_no", sa.String(32), primary_key=True),
        sa.Column("region", sa.String(12), primary_key=True),
    )


def downgrade() -> None:
    for table in ("region_supervisors", "uplink_devices", "uplink_days", "uplink_tickets", "uplink_events", "uplink_halls", "regions",
                  "uplink_state"):
        op.drop_table(table)
