"""Failed logins are counted per network source and job number, and forgotten a day after
the last one: the table gains `source` (in its key) and `last_failed_at`.

Existing rows counted a job number's failures from anywhere; they keep their counts under
the source '' (no client has that address, so they slow nobody) and are forgotten like the
others, a day after the upgrade at the latest.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("login_failures", "login_failures_0004")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX login_failures_pkey RENAME TO login_failures_0004_pkey")
    op.create_table(
        "login_failures",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True, comment="the client's address"),
        sa.Column("job_no", sa.String(32), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_failures_last_failed_at", "login_failures", ["last_failed_at"])
    op.get_bind().execute(sa.text(
        "INSERT INTO login_failures (hall_id, source, job_no, failures, blocked_until, last_failed_at) "
        "SELECT hall_id, '', job_no, failures, blocked_until, COALESCE(blocked_until, :now) FROM login_failures_0004"),
        {"now": datetime.now(timezone.utc).replace(tzinfo=None)})
    op.drop_table("login_failures_0004")


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
