"""Person hashes keyed outside the database, and idempotency keys that expire by the hall's
own progress.

The earlier release keyed person hashes with a key derived from the hall's secret in
hall_secrets, so a copy of the database gave back the ID numbers behind them. This revision
clears every such hash (the tickets stay) and forgets the idempotency keys stored until now,
whose request digests were made over those hashes: a retry that spans the upgrade is tried
afresh, so upgrade with the hall closed. From here on the key lives in its own file
(hall.person_keys). idempotency_keys gains seq, the order the keys were written in.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE tickets SET person_hash = NULL WHERE person_hash IS NOT NULL"))
    op.execute(sa.text("DELETE FROM idempotency_keys"))
    op.add_column("idempotency_keys", sa.Column(
        "seq", sa.Integer(), nullable=False, server_default=sa.text("0"),
        comment="its place in the hall's order of writing; keys expire by it"))
    op.create_index("ix_idempotency_keys_seq", "idempotency_keys", ["hall_id", "seq"])


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
