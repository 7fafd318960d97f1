"""Ratings: the completed transactions and their rating state, one rating each, the follow-up
cases of bad ones, and the counters a counter terminal or keypad bridge is bound to.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("counters", sa.String(256), nullable=False, server_default="",
                                   comment="comma-separated: the counters a counter terminal or keypad "
                                           "bridge rates for"))
    op.create_table(
        "served_tickets",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="hall-local date of completion"),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("department", sa.String(80), nullable=False),
        sa.Column("counter", sa.String(8), nullable=False),
        sa.Column("staff_job_no", sa.String(32), nullable=True, comment="who completed it"),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("prompt_until", sa.DateTime(), nullable=False, comment="the counter's prompt ends"),
        sa.Column("rateable_until", sa.DateTime(), nullable=False,
                  comment="the phone page and kiosks take it until"),
        sa.Column("rating_state", sa.String(12), nullable=False, comment="awaiting, rated or not_rated"),
        sa.Column("callback_due", sa.Boolean(), nullable=False, comment="chosen for a call-back (回访)"),
        sa.Column("callback_at", sa.DateTime(), nullable=True, comment="when the call-back was made"),
        sa.Column("phone", sa.String(24), nullable=True),
    )
    op.create_index("ix_served_day", "served_tickets", ["hall_id", "day"])
    op.create_index("ix_served_prompt", "served_tickets", ["hall_id", "rating_state", "counter"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False, unique=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("department", sa.String(80), nullable=False),
        sa.Column("counter", sa.String(8), nullable=False),
        sa.Column("staff_job_no", sa.String(32), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False, comment="5 非常满意 … 1 非常不满意"),
        sa.Column("reasons", sa.String(400), nullable=False, comment="comma-separated reason codes"),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False, comment="the rater showed an ID card"),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("set_aside", sa.Boolean(), nullable=False, comment="an appeal against it was upheld"),
    )
    op.create_index("ix_rating_hall", "ratings", ["hall_id", "id"])
    op.create_table(
        "rating_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("rating_id", sa.Integer(), sa.ForeignKey("ratings.id"), nullable=False, unique=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False, comment="the last working day it may take (hall-local)"),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_case_state", "rating_cases", ["hall_id", "state"])


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
