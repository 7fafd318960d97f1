"""The event log covers the whole hall, not only tickets; the hall server's accounts,
sessions, idempotency keys and secrets.

ticket_events becomes events: ticket_id may be empty (a counter paused, a device alarm),
each row names its hall and carries the JSON a listener needs. Existing rows keep their
ids, so a listener's position stays valid, and get their hall and their ticket's number
and service from the tickets table (their waiting counts were never recorded).

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.rename_table("ticket_events", "events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE ticket_events_id_seq RENAME TO events_id_seq")
        op.execute("ALTER INDEX ticket_events_pkey RENAME TO events_pkey")
        op.execute("ALTER TABLE events RENAME CONSTRAINT ticket_events_ticket_id_fkey TO events_ticket_id_fkey")
    op.add_column("events", sa.Column("hall_id", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("payload", sa.Text(), nullable=True))
    _fill_hall_and_payload()
    with op.batch_alter_table("events") as batch:
        batch.alter_column("hall_id", existing_type=sa.String(64), nullable=False)
        batch.alter_column("payload", existing_type=sa.Text(), nullable=False)
        batch.alter_column("kind", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False)
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_index("ix_ticket_events_ticket_id")
        batch.create_index("ix_events_ticket_id", ["ticket_id"])
        batch.create_index("ix_event_hall", ["hall_id", "id"])

    op.create_table(
        "devices",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False,
                  comment="set once its silence was announced as an alarm"),
    )
    op.create_table(
        "staff",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("job_no", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("counters", sa.String(256), nullable=False, comment="comma-separated counter ids"),
        sa.Column("password_hash", sa.String(256), nullable=False, comment="Argon2id"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("hall_id", sa.String(64), nullable=False),
        sa.Column("job_no", sa.String(32), nullable=False),
        sa.Column("counter", sa.String(8), nullable=True, comment="the counter logged in at, if one was named"),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("job_no", sa.String(32), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("principal", sa.String(80), primary_key=True, comment="device:ID or staff:JOB_NO"),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, comment="digest of the request it answered"),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_idempotency_keys_at", "idempotency_keys", ["at"])
    op.create_table(
        "hall_secrets",
        sa.Column("hall_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def _fill_hall_and_payload() -> None:
    """In batches, so that a kiosk's year of events does not sit in memory at once."""
    bind = op.get_bind()
    select = sa.text("SELECT e.id, e.ticket_id, t.hall_id, t.number, t.service, t.priority FROM events e "
                     "JOIN tickets t ON t.id = e.ticket_id WHERE e.id > :after ORDER BY e.id LIMIT :limit")
    update = sa.text("UPDATE events SET hall_id = :hall_id, payload = :payload WHERE id = :id")
    after = 0
    while True:
        rows = bind.execute(select, {"after": after, "limit": BATCH}).all()
        if not rows:
            return
        bind.execute(update, [
            {"id": r.id, "hall_id": r.hall_id,
             "payload": json.dumps({"ticket": {"id": r.ticket_id, "number": r.number, "service": r.service,
                                               "priority": r.priority}}, ensure_ascii=False)}
            for r in rows])
        after = rows[-1].id


def downgrade() -> None:
    raise NotImplementedError("the hall's schema is not downgraded: restore the copy of the database "
                              "taken before the upgrade")
