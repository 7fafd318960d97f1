"""Where each device stands (一楼东门), how staff pages name a kiosk: given when it is
registered and updated by the kiosk's help calls.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("location", sa.String(64), nullable=False, server_default="",
                                   comment="where it stands, e.g. 一楼东门; empty if never said"))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("location")
