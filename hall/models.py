"""The hall's tables: tickets, their daily numbering, counters, the event log, devices, and
the hall server's accounts, sessions and idempotency keys.

Columns use only types every SQL database has (strings rather than native enums, naive UTC
timestamps) so that the kiosk's SQLite file and the hall server's PostgreSQL share one schema.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer, LargeBinary,
                        String, Text, TypeDecorator, UniqueConstraint, false, text)
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


# The largest id of a table here: ids are Integer columns, 32 bits on PostgreSQL. A larger
# one asked for is refused at the door, as the database would refuse it mid-statement.
MAX_ID = 2**31 - 1


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


class LoggedEvent(Base):
    """Append-only: everything that happens in the hall, written in the transaction of the
    change it records, so the log is also the outbox: the live stream, statistics and the
    upward sync all read it and none can miss a change or see one that was rolled back.
    `payload` is what a listener needs (JSON: numbers, counters, waiting counts; never
    personal data), kept as it was at the moment of the change."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    counter: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")

    # By id: listeners read after the last one they saw. By kind and time: today's calls for
    # the display, the devices' latest changes, whatever the years of events before them.
    __table_args__ = (Index("ix_event_hall", "hall_id", "id"), Index("ix_event_kind", "hall_id", "kind", "at"))


class DeviceStatus(Base):
    """The latest word from each device; staff need the present state, not the history."""

    __tablename__ = "device_status"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- the hall server's: who may do what, and what was already done ----------------------
# They live in every hall database, a kiosk's too, so that one chain of migrations serves all.

class Device(Base):
    """A terminal allowed to call the API: a ticket kiosk, a counter terminal, a display.
    Its token is stored as a SHA-256 digest: tokens are long random strings, so a fast hash
    is enough and a request is checked in microseconds."""

    __tablename__ = "devices"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offline: Mapped[bool] = mapped_column(Boolean, default=False,
                                          comment="set once its silence was announced as an alarm")
    counters: Mapped[str] = mapped_column(String(256), default="", server_default="",
                                          comment="comma-separated: the counters a counter terminal or keypad "
                                                  "bridge rates for")
    location: Mapped[str] = mapped_column(String(64), default="", server_default="",
                                          comment="where it stands, e.g. 一楼东门; empty if never said")


class Staff(Base):
    __tablename__ = "staff"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    counters: Mapped[str] = mapped_column(String(256), default="", comment="comma-separated counter ids")
    password_hash: Mapped[str] = mapped_column(String(256), comment="Argon2id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the counter terminal shows the citizen of the staff member serving there.
    post: Mapped[str] = mapped_column(String(64), default="", server_default="", comment="岗位, such as 综合受理岗")
    department: Mapped[str] = mapped_column(String(64), default="", server_default="",
                                            comment="the department they belong to")


class StaffPhoto(Base):
    """The photo a hall gave of a staff member, for the counter terminal to show while they
    serve there; apart from `staff` so that no other read of an account carries it. The
    terminal fetches it each time and keeps it nowhere."""

    __tablename__ = "staff_photos"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(16), comment="image/jpeg or image/png")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (ForeignKeyConstraint(["hall_id", "job_no"], ["staff.hall_id", "staff.job_no"]),)


class StaffSession(Base):
    """A logged-in browser; the cookie's value is known only to it, the table keeps its digest."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    job_no: Mapped[str] = mapped_column(String(32))
    counter: Mapped[str | None] = mapped_column(String(8), comment="the counter logged in at, if one was named")
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailures(Base):
    """Failed logins per network source and job number, known or not: guessing is slowed
    alike for both, and only where the guesses come from, so that nobody elsewhere can lock
    a staff member out. Rows are forgotten a day after their last failure."""

    __tablename__ = "login_failures"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True, comment="the client's address")
    job_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IdempotencyKey(Base):
    """A write already done, with its answer, stored in the transaction of the write: a
    retry finds it and gets the same answer, even after a restart, and changes nothing."""

    __tablename__ = "idempotency_keys"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(80), primary_key=True, comment="device:ID or staff:JOB_NO")
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), comment="digest of the request it answered")
    answer: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    seq: Mapped[int] = mapped_column(Integer, server_default=text("0"),
                                     comment="its place in the hall's order of writing; keys expire by it")

    __table_args__ = (Index("ix_idempotency_keys_seq", "hall_id", "seq"),)


class HallSecret(Base):
    """Keys the hall signs with (ticket links, booking codes); made at first use, never in
    the repository or a configuration file."""

    __tablename__ = "hall_secrets"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class BookingCheckIn(Base):
    """A booking checked in (docs/booking-qr.md), by its booking id: a code checks in once,
    whichever of its spellings is scanned. Written with the ticket it gave, in one transaction."""

    __tablename__ = "booking_check_ins"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    booking_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisplayNotice(Base):
    """The hall display's notice line (通知公告), set by a supervisor; one per hall."""

    __tablename__ = "display_notices"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(String(200), default="", server_default="")
    set_by: Mapped[str | None] = mapped_column(String(32), comment="the supervisor's job number")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HelpCall(Base):
    """A citizen at a kiosk asked for staff (呼叫工作人员). One stays open per kiosk until a
    staff member takes it, so that repeated presses raise one alert."""

    __tablename__ = "help_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), comment="the kiosk")
    location: Mapped[str] = mapped_column(String(64), default="", comment="where the kiosk stands")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    presses: Mapped[int] = mapped_column(Integer, default=1)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_by: Mapped[str | None] = mapped_column(String(32), comment="the staff member's job number")

    __table_args__ = (Index("ix_help_call_open", "hall_id", "taken_at"),)


# -- ratings (hall.ratings) ------------------------------------------------------------------

class ServedTicket(Base):
    """A completed ticket as ratings know it, written at its completion: who served it and
    where, until when it may be rated, whether it was, and whether the hall phones back.
    `phone` is the number a citizen left for that call, removed once the call is made or the
    transaction is rated otherwise."""

    __tablename__ = "served_tickets"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date, comment="hall-local date of completion")
    service: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(80))
    counter: Mapped[str] = mapped_column(String(8))
    staff_job_no: Mapped[str | None] = mapped_column(String(32), comment="who completed it")
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prompt_until: Mapped[datetime] = mapped_column(UTCDateTime, comment="the counter's prompt ends")
    rateable_until: Mapped[datetime] = mapped_column(UTCDateTime, comment="the phone page and kiosks take it until")
    rating_state: Mapped[str] = mapped_column(String(12), comment="awaiting, rated or not_rated")
    callback_due: Mapped[bool] = mapped_column(Boolean, default=False, comment="chosen for a call-back (回访)")
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="when the call-back was made")
    phone: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (
        Index("ix_served_day", "hall_id", "day"),
        Index("ix_served_prompt", "hall_id", "rating_state", "counter"),
        Index("ix_served_phone", "hall_id", "completed_at", "ticket_id", sqlite_where=text("phone IS NOT NULL"),
              postgresql_where=text("phone IS NOT NULL")),
    )


class Rating(Base):
    """One rating of one transaction: the database refuses a second (its ticket is unique).
    Who rated is never kept, only whether they were identified by ID card."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    # Set on every rating; nullable only as migration 0011 could add it (SQLite).
    day: Mapped[date | None] = mapped_column(Date, comment="hall-local date of the transaction's completion")
    service: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(80))
    counter: Mapped[str] = mapped_column(String(8))
    staff_job_no: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer, comment="5 非常满意 … 1 非常不满意")
    reasons: Mapped[str] = mapped_column(String(400), default="", comment="comma-separated reason codes")
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    identified: Mapped[bool] = mapped_column(Boolean, default=False, comment="the rater showed an ID card")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_aside: Mapped[bool] = mapped_column(Boolean, default=False, comment="an appeal against it was upheld")

    # A period's ratings in the order given, read from the period's days alone.
    __table_args__ = (Index("ix_rating_hall", "hall_id", "id"), Index("ix_rating_day", "hall_id", "day", "id"))


class RatingCase(Base):
    """The follow-up of a bad rating; its steps are events (case_opened, case_step)."""

    __tablename__ = "rating_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    state: Mapped[str] = mapped_column(String(12))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due: Mapped[date] = mapped_column(Date, comment="the last working day it may take (hall-local)")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_case_state", "hall_id", "state"),
        Index("ix_case_open", "hall_id", "due", "id", sqlite_where=text("finished_at IS NULL"),
              postgresql_where=text("finished_at IS NULL")),
    )


class RatingTotal(Base):
    """How a day's transactions of one staff member, counter, service and department stand
    as ratings see them: awaiting their prompt, not rated, rated at each level, or their
    rating set aside. Kept by the writes that change a transaction (hall.ratings.totals), in
    their own transaction, so that the figures of a month read a few thousand rows instead of
    every transaction; the transactions are the sum of the counts."""

    __tablename__ = "rating_totals"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, comment="hall-local date of completion")
    staff_job_no: Mapped[str] = mapped_column(String(32), primary_key=True, comment="'' if nobody was named")
    counter: Mapped[str] = mapped_column(String(8), primary_key=True)
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    department: Mapped[str] = mapped_column(String(80), primary_key=True)
    awaiting: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    not_rated: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    set_aside: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    level_1: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    level_2: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    level_3: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    level_4: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    level_5: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class DurationTotal(Base):
    """How many of a day's transactions waited (measure 'wait') or were served ('service')
    for the minutes of each bucket (hall.ratings.totals), counted at their completion."""

    __tablename__ = "duration_totals"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, comment="hall-local date of completion")
    measure: Mapped[str] = mapped_column(String(8), primary_key=True, comment="wait or service")
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, comment="the index of its minutes' bucket")
    transactions: Mapped[int] = mapped_column(Integer, server_default=text("0"))


# -- matters (hall.matters) ------------------------------------------------------------------

class MatterCase(Base):
    """A case of a matter of the catalogue (办件), from its acceptance at a counter to its end.
    The applicant is known by the masked ID number and a hash under the hall's person key for
    the progress lookup (docs/privacy.md), never by name; a phone number the citizen left
    for its notices is kept while it is open. `due` counts the promised working
    days from acceptance with the days of finished pauses added back; while the case waits
    for documents (`paused_since`) its clock stands still."""

    __tablename__ = "matter_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(16), comment="办件编号: YYYYMMDD-NNNN, unique in the hall")
    matter_code: Mapped[str] = mapped_column(String(64), comment="the catalogue's 事项编码")
    service: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(80))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), comment="none for a walk-in")
    applicant_masked: Mapped[str | None] = mapped_column(String(18), comment="1101**********1234")
    phone: Mapped[str | None] = mapped_column(String(12), comment="left by the citizen for its notices (13812345678); "
                                                                  "removed when it closes")
    person_hash: Mapped[str | None] = mapped_column(String(64), comment="for the progress lookup; removed in time")
    state: Mapped[str] = mapped_column(String(20))
    promised_days: Mapped[int] = mapped_column(Integer, comment="0 for an immediate matter")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str] = mapped_column(String(32), comment="the staff member's job number")
    accepted_here: Mapped[str] = mapped_column(String(80), comment="the hall that accepted it (受理地)")
    decided_by: Mapped[str] = mapped_column(String(80), comment="the level that decides it (审批层级)")
    agent: Mapped[str | None] = mapped_column(String(32), comment="the hall's agent carrying it (全程代办)")
    documents: Mapped[str] = mapped_column(String(200), default="",
                                           comment="comma-separated indexes of the catalogue's documents received")
    due: Mapped[date | None] = mapped_column(Date, comment="hall-local; none if not accepted")
    paused_days: Mapped[int] = mapped_column(Integer, default=0, comment="working days of finished pauses")
    paused_since: Mapped[date | None] = mapped_column(Date, comment="waiting for documents since (hall-local)")
    reason: Mapped[str | None] = mapped_column(String(500), comment="why not accepted or returned")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False, comment="completed after its due day")
    light: Mapped[str | None] = mapped_column(String(8), comment="green, yellow or red while open")
    referred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                           comment="accepted here for the parent to decide: its steps come from there")
    origin: Mapped[str | None] = mapped_column(String(64), comment="the hall below that accepted it, for this hall "
                                                                   "to decide")
    origin_case: Mapped[int | None] = mapped_column(Integer, comment="its id in that hall")
    origin_number: Mapped[str | None] = mapped_column(String(16), comment="its number there: the one on the "
                                                                          "citizen's receipt")
    carried: Mapped[str | None] = mapped_column(Text, comment="the matter's name and checklist as that hall's "
                                                              "catalogue gave them, JSON")

    __table_args__ = (
        UniqueConstraint("hall_id", "number", name="uq_matter_number"),
        UniqueConstraint("hall_id", "origin", "origin_case", name="uq_matter_origin"),
        Index("ix_matter_open", "hall_id", "light", "due", sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
        Index("ix_matter_accepted", "hall_id", "accepted_at"),
        Index("ix_matter_closed", "hall_id", "closed_at"),
        Index("ix_matter_on_time", "hall_id", "state", "closed_at", "department", "service", "late"),
        Index("ix_matter_person", "hall_id", "person_hash"),
    )


class MatterCaseStep(Base):
    """A step of a case with who took it and when: its timeline (also an event in the log)."""

    __tablename__ = "matter_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter_cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), comment="the case's state after it")
    by: Mapped[str | None] = mapped_column(String(32), comment="the staff member's job number")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    place: Mapped[str | None] = mapped_column(String(80), comment="the hall it was taken at when not this one "
                                                                  "(the deciding level)")


class MatterSequence(Base):
    """The last case number of a hall's day, locked by each acceptance."""

    __tablename__ = "matter_sequences"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class MatterNotice(Base):
    """A notice waiting to be told through one channel (webhook, mail): a change of a case's
    light, to the people responsible, or a step of it (documents owed, completed), to the
    citizen at the phone number they left. Written with the change, sent and marked sent
    afterwards, tried again until it is, so that none is lost across a restart and none is
    sent for a change twice; a citizen's number is removed once their notice is sent."""

    __tablename__ = "matter_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter_cases.id"))
    light: Mapped[str | None] = mapped_column(String(8), comment="yellow or red; none for a citizen's notice")
    step_id: Mapped[int | None] = mapped_column(ForeignKey("matter_steps.id"),
                                                comment="the step a citizen is told of; none for a light's notice")
    phone: Mapped[str | None] = mapped_column(String(12), comment="the citizen's, until the notice is sent")
    progress: Mapped[str | None] = mapped_column(String(300), comment="the address of the case's progress page, "
                                                                      "for a citizen's notice")
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        UniqueConstraint("matter_id", "light", "channel", name="uq_matter_notice"),
        UniqueConstraint("step_id", "channel", name="uq_matter_notice_step"),
        Index("ix_matter_notice_due", "hall_id", "next_try_at", sqlite_where=text("sent_at IS NULL"),
              postgresql_where=text("sent_at IS NULL")),
    )

# -- reporting up (hall.uplink) ----------------------------------------------------------------
# A hall's sender keeps one row; a parent keeps its halls, the events they sent and the
# figures its central page reads, updated with each batch in the batch's transaction.

class UplinkState(Base):
    """What the parent acknowledged: the sender starts after it, restart or not."""

    __tablename__ = "uplink_state"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked: Mapped[int] = mapped_column(Integer, default=0, comment="the last event id the parent stored")
    definition_digest: Mapped[str] = mapped_column(String(64), default="", server_default="",
                                                   comment="of the hall definition the parent took last")
    steps_applied: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                               comment="the last of the parent's steps of cases accepted here, "
                                                       "applied here")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Region(Base):
    """A named administrative region (GB/T 2260, 统计用区划代码); its place in the tree is
    its code's own digits (hall.uplink.regions)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class ChildHall(Base):
    """A hall that reports to this parent: directly (with its uplink token, stored as a
    digest) or through a child that relays it (`via`)."""

    __tablename__ = "uplink_halls"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(12), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    via: Mapped[str | None] = mapped_column(String(64), comment="the child hall that relays this one's events")
    acked: Mapped[int] = mapped_column(Integer, default=0, comment="the last sequence number stored from it")
    heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    definition: Mapped[str | None] = mapped_column(Text, comment="its hall definition, JSON")
    definition_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReceivedEvent(Base):
    """An event of a hall below, stored once per (origin hall, its event id); `id` is this
    parent's order of receipt, what its own sender relays upward by."""

    __tablename__ = "uplink_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(64), comment="the hall the event happened in")
    origin_id: Mapped[int] = mapped_column(Integer, comment="its id in that hall's event log")
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date, comment="hall-local date")
    counter: Mapped[str | None] = mapped_column(String(8))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (UniqueConstraint("origin", "origin_id", name="uq_uplink_event"),)


class ReportedTicket(Base):
    """A ticket of a hall below as its events tell it: where it stands and since when, for
    the waiting now and the longest wait."""

    __tablename__ = "uplink_tickets"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))
    called: Mapped[bool] = mapped_column(Boolean, default=False, comment="its first call is counted")
    number: Mapped[str | None] = mapped_column(String(8))
    service: Mapped[str | None] = mapped_column(String(32), comment="the queue it waits in now")
    counter: Mapped[str | None] = mapped_column(String(8), comment="the counter serving it, or the last one")
    waited: Mapped[int | None] = mapped_column(Integer, comment="seconds from its issue to its first call")

    __table_args__ = (Index("ix_uplink_ticket_waiting", "day", "status", "origin", "issued_at"),
                      Index("ix_uplink_ticket_hall_day", "origin", "day"))


class HallDay(Base):
    """A hall's day as its events added it up: what the central page reads."""

    __tablename__ = "uplink_days"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    served: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    waits: Mapped[int] = mapped_column(Integer, server_default=text("0"), comment="first calls")
    wait_seconds: Mapped[int] = mapped_column(Integer, server_default=text("0"), comment="their waits, summed")
    rated: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    satisfied: Mapped[int] = mapped_column(Integer, server_default=text("0"), comment="rated 3 to 5")


class ReportedDevice(Base):
    """A device of a hall below and whether it is in alarm now."""

    __tablename__ = "uplink_devices"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    alarm: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportedCase(Base):
    """An open case of a hall below: a bad rating's follow-up (`rating`) or a matter's case
    (`matter`). A case leaves the table when its events tell it finished, so the table holds
    the open ones alone."""

    __tablename__ = "uplink_cases"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True, comment="rating or matter")
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="its id in its hall")
    state: Mapped[str] = mapped_column(String(20))
    due: Mapped[date | None] = mapped_column(Date, comment="the hall-local day it is due by")
    light: Mapped[str | None] = mapped_column(String(8), comment="a matter's light (电子监察): red is overdue")


class ReportedCounter(Base):
    """A counter of a hall below: whether someone is signed in at it and whether it is paused."""

    __tablename__ = "uplink_counters"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter: Mapped[str] = mapped_column(String(8), primary_key=True)
    staffed: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, comment="its last event's time")


class RegionSupervisor(Base):
    """A region a supervisor of this parent watches on its central page; one sees only the
    halls inside the regions named here (an admin sees every hall)."""

    __tablename__ = "region_supervisors"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(12), primary_key=True)
