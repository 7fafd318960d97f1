"""The supervisor's monthly on-time rates (按时办结率) read from an index alone: each month's
completed cases with their department, service and lateness, rather than every case closed
in the month looked up in the table (a month of a busy hall's two years of cases is tens of
thousands).

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matter_on_time", "matter_cases",
                    ["hall_id", "state", "closed_at", "department", "service", "late"])


def downgrade() -> None:
    op.drop_index("ix_matter_on_time", "matter_cases")
