"""Today's questions read today's rows, whatever the years before them: the event log gets an
index by kind and time (the display's last calls, the devices' latest changes), and each
rating carries the day of its transaction, indexed with its id (a day's ratings in the order
given), filled here from the transactions already served.

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_kind", "events", ["hall_id", "kind", "at"])
    # Nullable as the database holds it: SQLite adds a required column only by copying the
    # table, which the cases' foreign key on it forbids. Every rating has it.
    op.add_column("ratings", sa.Column("day", sa.Date(), nullable=True,
                                       comment="hall-local date of the transaction's completion"))
    # Every rating has its transaction written down (served_tickets); its ticket's day stands in
    # all the same for one that had not.
    op.execute("UPDATE ratings SET day = COALESCE("
               "(SELECT s.day FROM served_tickets s WHERE s.ticket_id = ratings.ticket_id), "
               "(SELECT t.day FROM tickets t WHERE t.id = ratings.ticket_id))")
    op.create_index("ix_rating_day", "ratings", ["hall_id", "day", "id"])


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
