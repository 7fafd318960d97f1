"""The ticket flow's states and events (kiosk.flow holds its table), and the data they carry:
what a visit came for (Errand), why it has no ticket (Notice), and what the flow's jobs bring
back. Screens, the voice guide and the texts read these without the flow itself."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hall.errors import EarlierTicket, RefusalReason, TicketRefused
from hall.tickets import PersonTickets, Priority, TicketInfo
from kiosk.card_watch import Message
from kiosk.identity import Identification
from kiosk.late_rating import LateRating
from kiosk.printing import PrintOutcome
from kiosk.qr_payloads import BookingCode, CaseLink, TicketCode, TicketLink

if TYPE_CHECKING:
    from hall.matters.schemas import MatterProgressPublic


class State(enum.Enum):
    IDLE = "idle"                # the home screen: the services to choose from
    CONFIRMING = "confirming"
    IDENTIFYING = "identifying"  # the service needs the ID card: place it, or scan a booking code
    ISSUING = "issuing"          # waiting for the hall (a ticket, a check-in, a ticket looked up) and the printer
    TICKET = "ticket"
    PROGRESS = "progress"        # a scanned ticket's place in the queue, or its transaction's rating
    NOTICE = "notice"
    RATING = "rating"            # a scanned ticket's late rating: five faces
    REASONS = "reasons"          # a bad rating's reasons
    THANKS = "thanks"            # the rating taken
    GUIDES = "guides"            # 办事指南: the services with guides, or one service's matters
    GUIDE = "guide"              # one matter's guide, page by page, and its checklist to print
    CASES = "cases"              # 办件进度: scan a receipt or place the ID card; the card's cases
    CASE = "case"                # one case: its state, promised date and documents owed


class Event(enum.Enum):
    CHOOSE = "choose"              # data: the service's code
    CONFIRM = "confirm"            # data: the ticket's Priority
    BACK = "back"
    HOME = "home"
    DONE = "done"
    TIMEOUT = "timeout"
    REFRESH = "refresh"
    QUEUES_LOADED = "queues_loaded"  # data: list[ServiceStatus]
    QUEUES_FAILED = "queues_failed"  # data: the exception
    ISSUED = "issued"              # data: Issue
    ISSUE_FAILED = "issue_failed"  # data: the exception
    CARD_PLACED = "card_placed"    # data: CardOutcome (kiosk.card_watch)
    READER_CHANGED = "reader_changed"  # data: ReaderStatus
    CODE_SCANNED = "code_scanned"  # data: the scanned text
    SCAN_FAILED = "scan_failed"    # data: the scanner's error (an unreadable line)
    FOUND = "found"                # data: Found
    FIND_FAILED = "find_failed"    # data: the exception
    HELP = "help"                  # 呼叫工作人员 pressed
    HELP_RAISED = "help_raised"    # data: HelpCallPublic
    HELP_FAILED = "help_failed"    # data: the exception
    HELP_POLLED = "help_polled"    # data: HelpCallPublic
    HELP_POLL_FAILED = "help_poll_failed"  # data: the exception
    HELD = "held"                  # data: Held
    HELD_FAILED = "held_failed"    # data: the exception
    RATE_SERVICE = "rate_service"  # 评价本次服务 on a scanned ticket's progress
    RATE = "rate"                  # data: the level, 1-5
    REASON = "reason"              # data: a reason's code, chosen or unchosen
    SEND = "send"                  # the bad rating's reasons chosen: send it
    RATED = "rated"                # data: RatingReceipt
    RATE_FAILED = "rate_failed"    # data: the exception (RatingRefused with the hall's reason)
    SPEAKER_CHANGED = "speaker_changed"    # data: whether the speaker works (kiosk.voice)
    REPORTED = "reported"                  # a device's status reached the hall, or was logged as not
    GUIDES = "guides"              # 办事指南 on the home screen
    GUIDE_SERVICE = "guide_service"  # data: a service's code, whose matters are listed
    GUIDE = "guide"                # data: a matter's code, whose guide is shown
    GUIDE_PAGE = "guide_page"      # data: +1 or -1
    PRINT_CHECKLIST = "print_checklist"
    CHECKLIST_PRINTED = "checklist_printed"  # data: Checklist
    CATALOGUE_LOADED = "catalogue_loaded"    # data: list[MatterPublic]
    CATALOGUE_FAILED = "catalogue_failed"    # data: the exception
    CASES = "cases"                # 办件进度 on the home screen
    CASE = "case"                  # data: a case's number among the card's cases
    CASE_FOUND = "case_found"      # data: CaseFound (a scanned receipt's case)
    PERSON_CASES = "person_cases"  # data: PersonCases (an ID card's cases)
    PERSON_CASES_FAILED = "person_cases_failed"  # data: the exception


@dataclass(frozen=True)
class Work:
    """What ISSUING waits for: a ticket for the chosen service, a booking checked in, or a
    scanned ticket looked up."""

    kind: str  # "issue", "check_in", "find" or "find_case"
    priority: Priority = Priority.NORMAL
    code: BookingCode | TicketLink | CaseLink | TicketCode | None = None


@dataclass
class Errand:
    """What the visit under way came to the kiosk for: wiped whole when the visit ends (its
    language, type size and voice are the kiosk.visit.Visit's, its call for staff the
    kiosk.help_call.HelpCallWatch's). Of the person, it holds the Identification alone (masked
    number, salted hash, birth date)."""

    service: str | None = None
    identity: Identification | None = None
    held: PersonTickets | None = None  # the identified citizen's open tickets, once the hall told them
    work: Work | None = None
    message: Message | None = None  # what the identify screen says about the last card
    ticket: TicketInfo | None = None
    printed: PrintOutcome | None = None
    progress: TicketInfo | None = None
    rating: LateRating | None = None  # the scanned ticket's transaction, as a late rating sees it
    notice: Notice | None = None
    guides: Guides | None = None  # where the visit is in the guides
    cases: Cases | None = None    # the cases (办件) the visit asked after


@dataclass
class Cases:
    """The cases a visit asks after: an ID card's (found by the hash of its number under the
    hall's key for cases), or a scanned receipt's; the one on screen. Never a name or number."""

    found: list[MatterProgressPublic] | None = None  # the card's cases, once the hall told them
    asking: bool = False
    message: Message | None = None  # about the last card, or that the hall could not be asked
    shown: MatterProgressPublic | None = None


@dataclass(frozen=True)
class CaseFound:
    """What looking up a scanned receipt's case brings back."""

    case: MatterProgressPublic | None = None
    problem: Message | None = None


@dataclass(frozen=True)
class PersonCases:
    """An ID card's cases, and for which card."""

    identity: Identification
    cases: list[MatterProgressPublic]


@dataclass
class Guides:
    """Where a visit reading the guides (办事指南) is: a service's list of matters, a matter's
    guide and its page, and the checklist printed of it."""

    service: str | None = None
    matter: str | None = None
    page: int = 0
    printing: bool = False
    printed: Checklist | None = None


@dataclass(frozen=True)
class Checklist:
    """A documents checklist sent to the printer, and how it went."""

    matter: str
    outcome: PrintOutcome


@dataclass(frozen=True)
class Notice:
    """Why the citizen has no ticket, kept as data so that it is told in the visit's
    language of the moment, naming the service."""

    reason: RefusalReason | None  # None: the hall could not be asked, or `problem` says why
    service: str | None
    reopens_at: datetime | None = None
    earlier: EarlierTicket | None = None
    problem: Message | None = None  # a card or code the kiosk could not use


@dataclass(frozen=True)
class Found:
    """What looking up a scanned ticket brings back, with its transaction's rating."""

    ticket: TicketInfo | None = None
    problem: Message | None = None
    rating: LateRating | None = None


@dataclass(frozen=True)
class Held:
    """What looking up an identified citizen's tickets brings back, and for which card."""

    identity: Identification
    tickets: PersonTickets


@dataclass(frozen=True)
class Issue:
    """What the issuing job brings back: a ticket and how its printing went, or a refusal."""

    ticket: TicketInfo | None = None
    printed: PrintOutcome | None = None
    refusal: TicketRefused | None = None
