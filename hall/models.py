"""The hall's tables: tickets, their daily numbering, counters, the event log, devices.

Columns use only types every SQL database has (strings rather than native enums, naive UTC
timestamps) so that the kiosk's SQLite file and the hall server's PostgreSQL share one schema.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """An instant stored as naive UTC and read back aware.

    SQLite keeps no offset and PostgreSQL's `timestamp with time zone` converts to the
    session's zone; naive UTC means the same thing on both and sorts correctly as text.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing a naive datetime {value!r}: its zone is unknown")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date, comment="hall-local date of issue")
    # The number is drawn from the sequence of the service it was issued for; a transfer
    # moves the ticket to another queue (`service`) but never renumbers it.
    issued_service: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32), comment="the queue it waits in now")
    prefix: Mapped[str] = mapped_column(String(1))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter: Mapped[str | None] = mapped_column(String(8), comment="the counter serving it, or the last one")
    target_counter: Mapped[str | None] = mapped_column(String(8), comment="set by a transfer to one counter")
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    person_hash: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        UniqueConstraint("hall_id", "day", "issued_service", "seq", name="uq_ticket_seq"),
        UniqueConstraint("hall_id", "day", "number", name="uq_ticket_number"),
        Index("ix_ticket_queue", "hall_id", "day", "status", "service"),
        Index("ix_ticket_person", "hall_id", "day", "person_hash"),
    )


class TicketSequence(Base):
    """The last number given per hall, day and service: the row every issue locks, so that
    numbers are unique and gapless across threads, processes and machines."""

    __tablename__ = "ticket_sequences"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class CounterRow(Base):
    """A counter's state. Its row is also what two operations on one counter lock, so a
    double click in the staff console cannot call two tickets."""

    __tablename__ = "counters"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    current_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class TicketEvent(Base):
    """Append-only: what happened to a ticket, when and at which counter. The hall server's
    statistics and the upward sync of a village station are built from it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    counter: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")


class DeviceStatus(Base):
    """The latest word from each device; staff need the present state, not the history."""

    __tablename__ = "device_status"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
