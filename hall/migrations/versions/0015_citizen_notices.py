"""A phone number a citizen may leave on their case, kept while it is open, and the outbox's
notices to citizens of the case's steps (documents owed, completed): a notice is a light's
or a step's, and holds the citizen's number until it is sent. The cases closed on a day (the
desk's, with their notices) are read by an index of their closing time.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("matter_cases") as batch:
        batch.add_column(sa.Column("phone", sa.String(12), nullable=True,
                                   comment="left by the citizen for its notices (13812345678); removed when it closes"))
    op.create_index("ix_matter_closed", "matter_cases", ["hall_id", "closed_at"])
    # SQLite copies the table to change a column: its partial index is made again after.
    op.drop_index("ix_matter_notice_due", "matter_notices")
    with op.batch_alter_table("matter_notices") as batch:
        batch.alter_column("light", existing_type=sa.String(8), nullable=True,
                           comment="yellow or red; none for a citizen's notice")
        batch.add_column(sa.Column("step_id", sa.Integer(), nullable=True,
                                   comment="the step a citizen is told of; none for a light's notice"))
        batch.add_column(sa.Column("phone", sa.String(12), nullable=True,
                                   comment="the citizen's, until the notice is sent"))
        batch.add_column(sa.Column("progress", sa.String(300), nullable=True,
                                   comment="the address of the case's progress page, for a citizen's notice"))
        batch.create_foreign_key("fk_matter_notices_step_id", "matter_steps", ["step_id"], ["id"])
        batch.create_unique_constraint("uq_matter_notice_step", ["step_id", "channel"])
    op.create_index("ix_matter_notice_due", "matter_notices", ["hall_id", "next_try_at"], sqlite_where=_UNSENT,
                    postgresql_where=_UNSENT)


def downgrade() -> None:
    op.execute("DELETE FROM matter_notices WHERE light IS NULL")
    op.drop_index("ix_matter_notice_due", "matter_notices")
    with op.batch_alter_table("matter_notices") as batch:
        batch.drop_constraint("uq_matter_notice_step", type_="unique")
        batch.drop_constraint("fk_matter_notices_step_id", type_="foreignkey")
        batch.drop_column("progress")
        batch.drop_column("phone")
        batch.drop_column("step_id")
        batch.alter_column("light", existing_type=sa.String(8), nullable=False)
    op.create_index("ix_matter_notice_due", "matter_notices", ["hall_id", "next_try_at"], sqlite_where=_UNSENT,
                    postgresql_where=_UNSENT)
    op.drop_index("ix_matter_closed", "matter_cases")
    with op.batch_alter_table("matter_cases") as batch:
        batch.drop_column("phone")
