"""Rating totals: the daily counts the supervisor's figures are read from, per staff member,
counter, service and department (rating_totals) and per bucket of waiting and service time
(duration_totals), counted here once from the transactions already served; from then on the
writes keep them. With them, indexes of the unfinished cases and of the numbers left for a
call-back, the page's two lists.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The bucket edges in minutes as this revision counts them (hall.ratings.totals).
WAIT_EDGES = (5, 10, 15, 20, 30, 45, 60)
SERVICE_EDGES = (2, 5, 10, 15, 20, 30)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    op.create_table(
        "rating_totals",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True, comment="hall-local date of completion"),
        sa.Column("staff_job_no", sa.String(32), primary_key=True, comment="'' if nobody was named"),
        sa.Column("counter", sa.String(8), primary_key=True),
        sa.Column("service", sa.String(32), primary_key=True),
        sa.Column("department", sa.String(80), primary_key=True),
        *(_count(name) for name in ("awaiting", "not_rated", "set_aside", "level_1", "level_2", "level_3",
                                    "level_4", "level_5")),
    )
    op.create_table(
        "duration_totals",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True, comment="hall-local date of completion"),
        sa.Column("measure", sa.String(8), primary_key=True, comment="wait or service"),
        sa.Column("bucket", sa.Integer(), primary_key=True, comment="the index of its minutes' bucket"),
        _count("transactions"),
    )
    # The page's lists: the unfinished cases and the numbers left for a call-back, each a
    # small part of its table, read from an index of that part alone.
    op.create_index("ix_case_open", "rating_cases", ["hall_id", "due", "id"],
                    sqlite_where=sa.text("finished_at IS NULL"), postgresql_where=sa.text("finished_at IS NULL"))
    op.create_index("ix_served_phone", "served_tickets", ["hall_id", "completed_at", "ticket_id"],
                    sqlite_where=sa.text("phone IS NOT NULL"), postgresql_where=sa.text("phone IS NOT NULL"))
    op.execute(
        "INSERT INTO rating_totals (hall_id, day, staff_job_no, counter, service, department, awaiting, not_rated, "
        "set_aside, level_1, level_2, level_3, level_4, level_5) "
        "SELECT s.hall_id, s.day, COALESCE(s.staff_job_no, ''), s.counter, s.service, s.department, "
        "SUM(CASE WHEN r.id IS NULL AND s.rating_state = 'awaiting' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN r.id IS NULL AND s.rating_state = 'not_rated' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN r.set_aside THEN 1 ELSE 0 END), "
        + ", ".join(f"SUM(CASE WHEN r.level = {level} AND NOT r.set_aside THEN 1 ELSE 0 END)" for level in range(1, 6))
        + " FROM served_tickets s LEFT JOIN ratings r ON r.ticket_id = s.ticket_id "
        "GROUP BY s.hall_id, s.day, COALESCE(s.staff_job_no, ''), s.counter, s.service, s.department")
    for measure, start, end, edges in (("wait", "t.issued_at", "t.called_at", WAIT_EDGES),
                                       ("service", "t.called_at", "s.completed_at", SERVICE_EDGES)):
        seconds = _seconds(start, end)
        index = ("CASE " + " ".join(f"WHEN {seconds} < {edge * 60} THEN {i}" for i, edge in enumerate(edges))
                 + f" ELSE {len(edges)} END")
        op.execute(
            "INSERT INTO duration_totals (hall_id, day, measure, bucket, transactions) "
            f"SELECT hall_id, day, '{measure}', bucket, COUNT(*) FROM ("
            f"SELECT s.hall_id AS hall_id, s.day AS day, {index} AS bucket FROM served_tickets s "
            f"JOIN tickets t ON t.id = s.ticket_id WHERE {seconds} >= 0) timed "
            "GROUP BY hall_id, day, bucket")


def _seconds(start: str, end: str) -> str:
    """Seconds from one timestamp to the other in the database's own arithmetic. SQLite's
    julianday is exact to some 50 µs: rounded to the millisecond, 300 s stays 300."""
    if op.get_bind().dialect.name == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
