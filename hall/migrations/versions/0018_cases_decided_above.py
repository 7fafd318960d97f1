"""Cases accepted below and decided above (县务镇办, 镇务村办): a case accepted here for the
parent to decide is marked so; a case the parent opened for one accepted below keeps the
hall and case it came from and the checklist as that hall gave it; a step of a case taken
at the deciding level says where; and a hall's sender keeps the last of the parent's steps
it applied.

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matter_cases") as batch:
        batch.add_column(sa.Column("referred", sa.Boolean(), nullable=False, server_default=sa.false(),
                                   comment="accepted here for the parent to decide: its steps come from there"))
        batch.add_column(sa.Column("origin", sa.String(64), nullable=True,
                                   comment="the hall below that accepted it, for this hall to decide"))
        batch.add_column(sa.Column("origin_case", sa.Integer(), nullable=True, comment="its id in that hall"))
        batch.add_column(sa.Column("origin_number", sa.String(16), nullable=True,
                                   comment="its number there: the one on the citizen's receipt"))
        batch.add_column(sa.Column("carried", sa.Text(), nullable=True,
                                   comment="the matter's name and checklist as that hall's catalogue gave them, JSON"))
        batch.create_unique_constraint("uq_matter_origin", ["hall_id", "origin", "origin_case"])
    with op.batch_alter_table("matter_steps") as batch:
        batch.add_column(sa.Column("place", sa.String(80), nullable=True,
                                   comment="the hall it was taken at when not this one (the deciding level)"))
    with op.batch_alter_table("uplink_state") as batch:
        batch.add_column(sa.Column("steps_applied", sa.Integer(), nullable=False, server_default="0",
                                   comment="the last of the parent's steps of cases accepted here, applied here"))


def downgrade() -> None:
    with op.batch_alter_table("uplink_state") as batch:
        batch.drop_column("steps_applied")
    with op.batch_alter_table("matter_steps") as batch:
        batch.drop_column("place")
    with op.batch_alter_table("matter_cases") as batch:
        batch.drop_constraint("uq_matter_origin", type_="unique")
        for column in ("carried", "origin_number", "origin_case", "origin", "referred"):
            batch.drop_column(column)
