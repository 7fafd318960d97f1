"""What the queue hands out: tickets, service and counter states, as plain values.

Kept apart from the engine so that a terminal can name these types (and a remote hall can
build them from JSON) without loading the database layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from hall.errors import RefusalReason


class Priority(str, Enum):
    NORMAL = "normal"
    BOOKED = "booked"   # 预约
    GREEN = "green"     # 绿色通道


class TicketStatus(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    HELD = "held"
    ABSENT = "absent"
    COMPLETED = "completed"


class EventKind(str, Enum):
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    ABSENT = "absent"
    HELD = "held"
    CALLED_BACK = "called_back"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    # Not about one ticket: the hall's other news, in the same log.
    COUNTER_PAUSED = "counter_paused"
    COUNTER_RESUMED = "counter_resumed"
    COUNTER_STAFF = "counter_staff"      # a staff member signed in or out at a counter
    DEVICE_STATUS = "device_status"      # a device reported a new status (an alarm or its end)
    DEVICE_OFFLINE = "device_offline"    # a terminal fell silent
    DEVICE_ONLINE = "device_online"      # and was heard again
    HELP_REQUESTED = "help_requested"    # a citizen at a kiosk called for staff
    HELP_TAKEN = "help_taken"            # and a staff member is on the way
    # Ratings (hall.ratings): staff streams see rated and not_rated without the level, and
    # none of the rest (a case tells that a rating was bad).
    RATED = "rated"                      # a transaction was rated
    NOT_RATED = "not_rated"              # its counter's prompt ended unanswered
    CASE_OPENED = "case_opened"          # a bad rating's follow-up began
    CASE_STEP = "case_step"              # a supervisor took a step of it
    CALLBACK_MADE = "callback_made"      # the hall phoned a citizen back (回访)
    NOTICE_SET = "notice_set"            # a supervisor changed the display's notice line
    MATTER_STEP = "matter_step"          # a case of a matter (办件) was accepted or took a step
    MATTER_LIGHT = "matter_light"        # an open case's light turned yellow or red (电子监察)
    MATTER_REFERRED = "matter_referred"  # a case accepted here for the parent to decide goes up (县务镇办)
    # A case's receipt printed at a counter, by its counter terminal (hall.matters.receipt_jobs).
    RECEIPT_REQUESTED = "receipt_requested"      # staff asked for it: the job, for the counter's terminal
    RECEIPT_PRINTED = "receipt_printed"          # the terminal printed it
    RECEIPT_NOT_PRINTED = "receipt_not_printed"  # the terminal could not, and says why


@dataclass(frozen=True)
class TicketInfo:
    id: int
    number: str
    service: str
    priority: Priority
    status: TicketStatus
    day: date
    issued_at: datetime              # aware, in the hall's time zone
    ahead: int                       # waiting tickets called before this one (0 unless WAITING)
    estimated_wait_minutes: int      # 0 unless WAITING; rounded up
    counters: tuple[str, ...]        # counters that may call it
    counter: str | None              # the counter that called it; None while WAITING
    recalls: int
    link: str | None = None          # its signed address at the hall server (for the QR code), if served by one
    paused: bool = False             # WAITING, and every counter that may call it is paused


@dataclass(frozen=True)
class PersonTickets:
    """What an identified person holds today: their open tickets, and the services the hall
    would still give them a ticket for (its tickets_per_person and each service's
    person_limit), so that a kiosk tells them at once rather than after they choose."""

    tickets: tuple[TicketInfo, ...]
    open_to: tuple[str, ...]


@dataclass(frozen=True)
class WaitingTicket:
    """A line of a counter's waiting list: enough to show it, without the estimates that
    TicketInfo computes per ticket."""

    id: int
    number: str
    service: str
    priority: Priority
    status: TicketStatus
    issued_at: datetime              # aware, in the hall's time zone
    target_counter: str | None       # sent to one counter by a transfer


@dataclass(frozen=True)
class ServiceStatus:
    code: str
    waiting: int
    open_counters: int
    estimated_wait_minutes: int      # what a new normal ticket would wait
    issued_today: int
    quota: int | None
    refusal: RefusalReason | None    # why a ticket would be refused now; None when issuing
    reopens_at: datetime | None


@dataclass(frozen=True)
class CounterState:
    id: str
    paused: bool
    current: TicketInfo | None
