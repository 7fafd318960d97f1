"""What the counter terminal shows of the staff member serving there: a post and a department
on each account, and the photo a hall may give, in a table of its own.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("post", sa.String(64), nullable=False, server_default="",
                                   comment="岗位, such as 综合受理岗"))
        batch.add_column(sa.Column("department", sa.String(64), nullable=False, server_default="",
                                   comment="the department they belong to"))
    op.create_table(
        "staff_photos",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("job_no", sa.String(32), primary_key=True),
        sa.Column("media_type", sa.String(16), nullable=False, comment="image/jpeg or image/png"),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id", "job_no"], ["staff.hall_id", "staff.job_no"]),
    )


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
