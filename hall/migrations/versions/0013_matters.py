"""Cases of the catalogue's matters (办件), their steps, their daily numbering, and the
outbox of their lights' notices (电子监察).

Revision ID: 0013
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matter_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(16), nullable=False, comment="办件编号: YYYYMMDD-NNNN, unique in the hall"),
        sa.Column("matter_code", sa.String(64), nullable=False, comment="the catalogue's 事项编码"),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("department", sa.String(80), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True, comment="none for a walk-in"),
        sa.Column("applicant_masked", sa.String(18), nullable=True, comment="1101**********1234"),
        sa.Column("person_hash", sa.String(64), nullable=True, comment="for the progress lookup; removed in time"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False, comment="0 for an immediate matter"),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_by", sa.String(32), nullable=False, comment="the staff member's job number"),
        sa.Column("accepted_here", sa.String(80), nullable=False, comment="the hall that accepted it (受理地)"),
        sa.Column("decided_by", sa.String(80), nullable=False, comment="the level that decides it (审批层级)"),
        sa.Column("agent", sa.String(32), nullable=True, comment="the hall's agent carrying it (全程代办)"),
        sa.Column("documents", sa.String(200), nullable=False,
                  comment="comma-separated indexes of the catalogue's documents received"),
        sa.Column("due", sa.Date(), nullable=True, comment="hall-local; none if not accepted"),
        sa.Column("paused_days", sa.Integer(), nullable=False, comment="working days of finished pauses"),
        sa.Column("paused_since", sa.Date(), nullable=True, comment="waiting for documents since (hall-local)"),
        sa.Column("reason", sa.String(500), nullable=True, comment="why not accepted or returned"),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False, comment="completed after its due day"),
        sa.Column("light", sa.String(8), nullable=True, comment="green, yellow or red while open"),
        sa.UniqueConstraint("hall_id", "number", name="uq_matter_number"),
    )
    op.create_index("ix_matter_open", "matter_cases", ["hall_id", "light", "due"], sqlite_where=sa.text("closed_at IS NULL"),
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_matter_accepted", "matter_cases", ["hall_id", "accepted_at"])
    op.create_index("ix_matter_person", "matter_cases", ["hall_id", "person_hash"])
    op.create_table(
        "matter_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("matter_id", sa.Integer(), sa.ForeignKey("matter_cases.id"), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, comment="the case's state after it"),
        sa.Column("by", sa.String(32), nullable=True, comment="the staff member's job number"),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
    )
    op.create_index("ix_matter_steps_matter_id", "matter_steps", ["matter_id"])
    op.create_table(
        "matter_sequences",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "matter_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("matter_id", sa.Integer(), sa.ForeignKey("matter_cases.id"), nullable=False),
        sa.Column("light", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=False),
        sa.UniqueConstraint("matter_id", "light", "channel", name="uq_matter_notice"),
    )
    op.create_index("ix_matter_notice_due", "matter_notices", ["hall_id", "next_try_at"],
                    sqlite_where=sa.text("sent_at IS NULL"), postgresql_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    op.drop_table("matter_notices")
    op.drop_table("matter_sequences")
    op.drop_index("ix_matter_steps_matter_id", "matter_steps")
    op.drop_table("matter_steps")
    op.drop_table("matter_cases")
