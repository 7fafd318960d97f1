"""The citizen's way through the ticket kiosk: a table on kiosk.machine, knowing nothing of Kivy.

The home screen (idle) holds the services: a tap on one → confirming → issuing → the ticket
→ idle, with a notice when a ticket cannot be had; two taps for a ticket, and no gate before
the services for a double tap to fall through. A service that needs identification asks for
the ID card (or a booking code) after confirming. Cards and codes are events any state may
take or ignore: a card placed at the home screen identifies the visit under way, keeping its
language, type size and voice (and the hall gives the green channel by age); a booking code
checks in, a ticket's code shows that ticket's progress. A completed ticket's transaction may
be rated there, late (kiosk.late_rating): 评价本次服务 while the hall still takes it, five
faces, the reasons of a bad rating, thanks, home; or a plain line saying that it was rated,
that its time has passed, or that it is not completed yet. A citizen identified at home who
holds an open ticket sees it at once (its number, place and counters), with the way back to
the services the hall still gives them; the others are grey and say why.

A visit ends with its ticket (or a ticket's progress), with 首页 and with the idle timeout,
and only then: going back keeps its language, type size, voice and card. A card or a code
over an ended visit's ticket is the next citizen's, and gets a visit of its own.
Every step can be driven from a test exactly as from a screen. The hall and the printer are
reached only from jobs on the runner's thread; what they answer comes back as events, so a
screen never waits for a database or a printer. An inactivity timeout wipes the visit (its
language, type size and voice: kiosk.visit; its chosen service, identification and ticket:
the Errand of kiosk.ticket_states; its call for help: kiosk.help_call) so the next citizen
starts clean.

On a kiosk whose hall has staff consoles, 呼叫工作人员 on every screen calls for help
whatever the step: the call is the visit's (kiosk.help_call), raised once and then followed,
in the clock's ticks, until a staff member takes it.

What the screens and the voice show of the flow, in the visit's language, is
kiosk.ticket_texts (`flow.texts`); the flow keeps the state, the table and its actions.

办事指南 on the home screen opens the hall's guides: the services that have guides, a
service's matters, a matter's guide page by page (kiosk.guide_view), with its QR code for a
phone and its documents checklist for the ticket printer. Reading guides is part of the
visit (its language, type size and voice stay); 首页 and the idle timeout end it.

办件进度 asks after the citizen's cases (办件): a receipt's QR code, scanned anywhere, shows
its case; an ID card placed there lists the card's cases of the last 90 days, found by the
hash of its number under the hall's key for cases (kiosk.identity), the number staying here.
"""
from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Protocol

from devices.ticket_layout import TicketPrintout
from hall.errors import EarlierTicket, RefusalReason, TicketNotFound, TicketRefused
from hall.hours import issuing_refusal, next_issuing_change
from hall.matters.states import MatterRefused
from hall.ratings.terms import BAD_UP_TO, LEVELS, RatingRefused
from hall.tickets import Priority, ServiceStatus, TicketInfo
from kiosk.card_watch import CardOutcome, Message, ReaderStatus
from kiosk.hall_client import Hall
from kiosk.help_call import HelpCallWatch, HelpState
from kiosk.i18n import Translator
from kiosk.identity import Identification
from kiosk.late_rating import REFUSED_STANDING, Standing, look_up, send
from kiosk.late_rating import reasons as late_reasons
from kiosk.machine import ANY, Job, Listener, Machine, Runner, Transition
from kiosk.printing import PrintOutcome, PrintProblem, TicketPrinterService
from kiosk.qr_payloads import BookingCode, CaseLink, PayloadError, TicketCode, TicketLink, parse_scanned
from kiosk.ticket_states import (CaseFound, Cases, Checklist, Errand, Event, Found, Guides, Held, Issue, Notice,
                                 PersonCases, State, Work)
from kiosk.ticket_texts import TicketTexts
from kiosk.ticket_view import TicketView, ticket_view
from kiosk.visit import Visit, VisitButtons, VisitEvent

if TYPE_CHECKING:
    from hall.matters.schemas import MatterPublic
    from hall.schemas import HelpCallPublic, RatingReceipt

log = logging.getLogger(__name__)
# Refusals that hold for the whole hall: it is closed now, and says until when.
HOURS = frozenset({RefusalReason.CLOSED_TODAY, RefusalReason.NOT_YET_OPEN, RefusalReason.BREAK,
                   RefusalReason.CLOSED_FOR_TODAY})
THANKS_SECONDS = 5  # the thank-you for a rating, then home


class Guide(Protocol):
    """What the flow needs of its voice guide (kiosk.voice.VoiceGuide): it is told of every
    change, and says whether the speaker works."""

    @property
    def working(self) -> bool | None: ...

    @property
    def problem(self) -> str: ...

    def on_state(self, flow: TicketFlow) -> None: ...

    def on_update(self, flow: TicketFlow, event: Event) -> None: ...

    def close(self) -> None: ...


class TicketFlow(VisitButtons, Listener):
    def __init__(self, hall: Hall, printer: TicketPrinterService, *, terminal_id: str,
                 language: str = "zh_CN", large_type: bool = False, voice: bool = False,
                 idle_timeout: float = 60, ticket_timeout: float = 20, qr_base_url: str = "",
                 location: str = "", listener: Listener | None = None, runner: Runner | None = None,
                 guide: Guide | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] | None = None):
        self.hall = hall
        self.printer = printer
        self.terminal_id = terminal_id
        self.guide = guide
        self.ticket_timeout = ticket_timeout
        self.qr_base_url = qr_base_url
        self.location = location
        self.listener = listener or Listener()
        self.monotonic = monotonic
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.visit = Visit(language=language, large_type=large_type, voice=voice, idle_seconds=idle_timeout,
                           clock=monotonic)
        self.errand = Errand()
        self.help = HelpCallWatch(monotonic)
        self.texts = TicketTexts(self)
        self.queues: dict[str, ServiceStatus] | None = None  # the hall's last answer, for every visit
        self.queues_failed = False
        self.catalogue: list[MatterPublic] | None = None  # the hall's guides as it last told them
        self.catalogue_failed = False
        self._loading = False
        self._reload = False  # a load was asked for while one was under way: its answer may be stale
        self._printer_status: str | None = None  # touched by jobs only, one at a time
        self.reader_status = ReaderStatus(None)  # the ID card reader's, as kiosk.card_watch last told it
        self.machine = Machine(self, TABLE, State.IDLE, on_enter=ON_ENTER, ignored=IGNORED,
                               listener=self, runner=runner, name="ticket flow")

    @property
    def state(self) -> State:
        return self.machine.state

    # -- what a screen shows ------------------------------------------------------------

    def refusal(self, code: str) -> tuple[RefusalReason, datetime | None] | None:
        """Why the service gives no ticket now, and until when: the hall's hours first, as
        the kiosk's clock reads them (they change on the second, not at the next answer of the
        hall), then what the hall last said of its queue (a quota reached)."""
        spec = self.hall.spec
        reason, reopens_at = issuing_refusal(spec.hours, spec.zone, self.now())
        if reason is not None:
            return reason, reopens_at
        held = self.errand.held
        if held is not None and code not in held.open_to:
            return RefusalReason.ALREADY_HAS_TICKET, None
        status = self.queues.get(code) if self.queues else None
        if status is None or status.refusal is None or status.refusal in HOURS:
            return None
        return status.refusal, status.reopens_at

    def today(self) -> date:
        """The hall's date now."""
        return self.now().astimezone(self.hall.spec.zone).date()

    def another_allowed(self) -> bool:
        """Whether the identified citizen shown their open ticket may still take another."""
        return bool(self.errand.held and self.errand.held.open_to)

    def closed(self) -> Notice | None:
        """Why no service issues tickets now, when the hours are the reason: the home
        screen then says so instead of offering the services. None while the hours say open."""
        spec = self.hall.spec
        reason, reopens_at = issuing_refusal(spec.hours, spec.zone, self.now())
        return None if reason is None else Notice(reason, None, reopens_at)

    def next_hours_change(self) -> datetime | None:
        """The next moment tickets start or stop by the hall's hours: the home screen changes
        then, on the second."""
        spec = self.hall.spec
        return next_issuing_change(spec.hours, spec.zone, self.now())

    def rating_offered(self) -> bool:
        """Whether the progress screen offers 评价本次服务: a completed transaction the hall
        still takes a rating of."""
        rating = self.errand.rating
        return self.state is State.PROGRESS and rating is not None and rating.standing is Standing.OPEN

    def help_offered(self) -> bool:
        """Whether 呼叫工作人员 is on the screens: only when staff consoles can answer it."""
        return self.hall.takes_help_calls

    def matter(self, code: str | None) -> MatterPublic | None:
        """A matter of the hall's catalogue as last loaded."""
        return next((m for m in self.catalogue or () if m.code == code), None)

    # -- what a citizen does ------------------------------------------------------------

    def choose(self, service: str) -> None:
        self.machine.fire(Event.CHOOSE, service)

    def confirm(self, priority: Priority = Priority.NORMAL) -> None:
        self.machine.fire(Event.CONFIRM, priority)

    def back(self) -> None:
        self.machine.fire(Event.BACK)

    def home(self) -> None:
        self.machine.fire(Event.HOME)

    def done(self) -> None:
        self.machine.fire(Event.DONE)

    def rate_service(self) -> None:
        self.machine.fire(Event.RATE_SERVICE)

    def rate(self, level: int) -> None:
        self.machine.fire(Event.RATE, level)

    def toggle_reason(self, code: str) -> None:
        self.machine.fire(Event.REASON, code)

    def send(self) -> None:
        self.machine.fire(Event.SEND)

    def card_placed(self, outcome: CardOutcome) -> None:
        """A card was read (kiosk.card_watch), on the flow's thread."""
        self.machine.fire(Event.CARD_PLACED, outcome)

    def reader_changed(self, status: ReaderStatus) -> None:
        self.machine.fire(Event.READER_CHANGED, status)

    def code_scanned(self, text: str) -> None:
        """A code from any scanner: serial, keyboard wedge or camera."""
        self.machine.fire(Event.CODE_SCANNED, text)

    def scan_failed(self, error: Exception) -> None:
        self.machine.fire(Event.SCAN_FAILED, error)

    def call_for_help(self) -> None:
        self.machine.fire(Event.HELP)

    def open_cases(self) -> None:
        self.machine.fire(Event.CASES)

    def choose_case(self, number: str) -> None:
        self.machine.fire(Event.CASE, number)

    def open_guides(self) -> None:
        self.machine.fire(Event.GUIDES)

    def choose_guide_service(self, code: str) -> None:
        self.machine.fire(Event.GUIDE_SERVICE, code)

    def choose_guide(self, code: str) -> None:
        self.machine.fire(Event.GUIDE, code)

    def turn_guide(self, step: int) -> None:
        self.machine.fire(Event.GUIDE_PAGE, step)

    def print_checklist(self) -> None:
        self.machine.fire(Event.PRINT_CHECKLIST)

    def tick(self) -> None:
        """Called about once a second by the screen layer: ends a forgotten visit, asks
        after the visit's call for help, and follows the voice guide's speaker."""
        self.machine.fire(Event.TIMEOUT)
        if self.guide is not None and self.guide.working is not self.visit.speaker_working:
            self.machine.fire(Event.SPEAKER_CHANGED, self.guide.working)

    def refresh(self) -> None:
        """Called by the screen layer about once a minute, and when the hours change: the
        home screen's queues."""
        self.machine.fire(Event.REFRESH)

    def warm_up(self) -> None:
        """Opens the hall and the printer before the first citizen arrives, and tells the
        hall how the printer is. The app calls it once the first frame is on screen."""
        self._loading = True
        self.machine.start(Job(self._warm_up, Event.QUEUES_LOADED, Event.QUEUES_FAILED))

    # -- Listener: the machine's, passed on to the screens --------------------------------

    def on_state(self, old: State, new: State) -> None:
        if self.guide is not None:
            self.guide.on_state(self)
        self.listener.on_state(old, new)

    def on_update(self, event: Event) -> None:
        if self.guide is not None:
            self.guide.on_update(self, event)
        self.listener.on_update(event)

    def close(self) -> None:
        """Ends what the flow holds open: the hall, the printer and the voice."""
        if self.guide is not None:
            self.guide.close()
        self.printer.close()
        self.hall.close()

    # -- guards and actions (the table names these) ------------------------------------------

    def _available(self, code: str) -> bool:
        return self.hall.spec.service(code) is not None and self.refusal(code) is None

    def _known_service(self, code: str) -> bool:
        return self.hall.spec.service(code) is not None

    def _remember_service(self, code: str) -> None:
        self.errand.service = code

    def _explain_unavailable(self, code: str) -> None:
        reason, reopens_at = self.refusal(code)
        earlier = None
        if reason is RefusalReason.ALREADY_HAS_TICKET:
            first = self.errand.held.tickets[0]
            earlier = EarlierTicket(number=first.number, service=first.service, issued_at=first.issued_at)
        self.errand.service = code
        self.errand.notice = Notice(reason, code, reopens_at, earlier)

    def _forgotten(self, _data: object) -> bool:
        if (self.state is State.IDLE and self.visit.in_defaults() and self.help.state is HelpState.NONE
                and self.errand == Errand()):
            return False  # nothing to forget: the home screen is not redrawn every second
        if self.state is State.THANKS:
            return self.visit.expired(THANKS_SECONDS)
        if (self.state is State.TICKET and self.errand.printed and self.errand.printed.ok
                or self.state is State.PROGRESS):
            return self.visit.expired(self.ticket_timeout)
        return self.visit.expired()

    def _known_language(self, language: str) -> bool:
        return self.visit.knows(language)

    def _set_language(self, language: str) -> None:
        self.visit.set_language(language)

    def _toggle_large_type(self, _data: object) -> None:
        self.visit.toggle_large_type()

    def _toggle_voice(self, _data: object) -> None:
        self.visit.toggle_voice()

    def _speaker_changed(self, working: bool | None) -> Job:
        """Staff learn of a speaker that cannot speak from the hall, as of the printer."""
        self.visit.speaker_changed(working)
        status, detail = ("ok", "") if working else ("unavailable", self.guide.problem)
        return Job(functools.partial(self._report, "speaker", status, detail), Event.REPORTED, Event.REPORTED)

    def _end_visit(self, _data: object) -> None:
        self._new_visit()

    def _enter_idle(self, _data: object) -> Job | None:
        """Home, where the visit (if one is under way) chooses its service again."""
        errand = self.errand
        errand.service, errand.work, errand.message, errand.notice = None, None, None, None
        errand.ticket = errand.printed = errand.progress = errand.rating = errand.guides = errand.cases = None
        return self._load_queues(None)

    def _enter(self, _data: object) -> None:
        self.touched()

    def _enter_and_load(self, _data: object) -> Job | None:
        self.touched()
        return self._load_queues(None)

    def _ended(self) -> bool:
        """Whether the visit on screen is over: its ticket, or a scanned ticket's progress or
        rating, is shown (the open ticket of a citizen identified at home is their visit's)."""
        return (self.state in (State.TICKET, State.RATING, State.REASONS, State.THANKS, State.CASE)
                or self.state is State.PROGRESS and self.errand.held is None)

    def _load_queues(self, _data: object) -> Job | None:
        """One load at a time; one asked for meanwhile follows it, since the answer under way
        may predate what the new one is for (a ticket just issued)."""
        if self._loading:
            self._reload = True
            return None
        self._loading, self._reload = True, False
        return Job(self.hall.services_status, Event.QUEUES_LOADED, Event.QUEUES_FAILED)

    def _keep_queues(self, statuses: list[ServiceStatus]) -> Job | None:
        self._loading = False
        self.queues = {s.code: s for s in statuses}
        self.queues_failed = False
        return self._load_queues(None) if self._reload else None

    def _queues_failed(self, exc: Exception) -> Job | None:
        self._loading = False
        self.queues_failed = True
        log.error("queues not loaded: %s", exc)
        return self._load_queues(None) if self._reload else None

    def _needs_card(self, _priority: Priority) -> bool:
        service = self.hall.spec.service(self.errand.service)
        return bool(service and service.needs_id) and self.errand.identity is None

    def _plan_issue(self, priority: Priority) -> None:
        self.errand.work = Work("issue", priority=priority or Priority.NORMAL)
        self.errand.message = None

    def _start_work(self, _data: object) -> Job:
        """ISSUING's job: the ticket, the check-in or the look-up the visit waits for."""
        self.touched()
        work, errand, language = self.errand.work, self.errand, self.visit.language
        if work.kind == "check_in":
            return Job(functools.partial(self._check_in, work.code, language), Event.ISSUED, Event.ISSUE_FAILED)
        if work.kind == "find":
            return Job(functools.partial(self._find, work.code), Event.FOUND, Event.FIND_FAILED)
        if work.kind == "find_case":
            return Job(functools.partial(self._find_case, work.code), Event.CASE_FOUND, Event.FIND_FAILED)
        return Job(functools.partial(self._issue, errand.service, work.priority, language, errand.identity),
                   Event.ISSUED, Event.ISSUE_FAILED)

    # cards and codes

    def _card_usable(self, outcome: CardOutcome) -> bool:
        return outcome.identity is not None and self.closed() is None

    def _card_over_held(self, outcome: CardOutcome) -> bool:
        """A card over an identified citizen's open ticket: their visit goes on."""
        return self.errand.held is not None and self._card_usable(outcome)

    def _card_read(self, outcome: CardOutcome) -> bool:
        return outcome.identity is not None

    def _identify(self, outcome: CardOutcome) -> None:
        self.touched()
        self.errand.identity = outcome.identity
        self.errand.message = None

    def _identify_and_look(self, outcome: CardOutcome) -> Job:
        """Identifies the visit, and asks the hall what the citizen already holds."""
        self._identify(outcome)
        self.errand.held = None
        return Job(functools.partial(self._held, outcome.identity), Event.HELD, Event.HELD_FAILED)

    def _identify_new_visit(self, outcome: CardOutcome) -> Job:
        """Another citizen's card over the last one's ticket: a visit of its own."""
        self._new_visit()
        return self._identify_and_look(outcome)

    def _holds_ticket(self, held: Held) -> bool:
        return held.identity is self.errand.identity and bool(held.tickets.tickets)

    def _keep_held(self, held: Held) -> None:
        if held.identity is self.errand.identity:
            self.errand.held = held.tickets

    def _show_held(self, held: Held) -> None:
        self._keep_held(held)
        self.errand.progress = held.tickets.tickets[0]
        self.errand.rating = None

    def _held_failed(self, exc: Exception) -> None:
        """The hall will say it when the citizen asks for a ticket, as before a card."""
        log.warning("open tickets of the card not looked up: %r", exc)

    def _another_allowed(self, _data: object) -> bool:
        return self.another_allowed()

    def _card_message(self, outcome: CardOutcome) -> None:
        self.touched()
        self.errand.message = outcome.problem

    def _card_notice(self, outcome: CardOutcome) -> None:
        self.touched()
        self.errand.notice = Notice(None, None, problem=outcome.problem) if outcome.problem else self.closed()

    def _card_notice_new_visit(self, outcome: CardOutcome) -> None:
        self._new_visit()
        self._card_notice(outcome)

    def _reader_changed(self, status: ReaderStatus) -> None:
        self.reader_status = status

    def _scanned(self, text: str) -> BookingCode | TicketLink | CaseLink | TicketCode | PayloadError:
        try:
            return parse_scanned(text)
        except PayloadError as exc:
            return exc

    def _is_booking(self, text: str) -> bool:
        return isinstance(self._scanned(text), BookingCode)

    def _is_ticket(self, text: str) -> bool:
        return isinstance(self._scanned(text), (TicketLink, TicketCode))

    def _is_case(self, text: str) -> bool:
        return isinstance(self._scanned(text), CaseLink)

    def _plan_code(self, text: str) -> None:
        """A booking to check in, or a ticket or a case to look up; from a ticket on screen,
        for a new visit."""
        if self._ended():
            self._new_visit()
        code = self._scanned(text)
        kind = "check_in" if isinstance(code, BookingCode) else "find_case" if isinstance(code, CaseLink) else "find"
        self.errand.work = Work(kind, code=code)

    def _code_notice(self, text: str) -> None:
        if self._ended():
            self._new_visit()
        self.touched()
        error = self._scanned(text)
        # Not quoted: whatever a citizen holds to the scanner may name them.
        log.info("scanned code of %d characters not used: %s", len(text), type(error).__name__)
        self.errand.notice = Notice(None, None, problem=Message(error.key))

    def _scan_notice(self, error: Exception) -> None:
        log.info("scan not read: %s", error)
        if self._ended():
            self._new_visit()
        self.touched()
        self.errand.notice = Notice(None, None, problem=Message("qr.unreadable"))

    def _has_progress(self, found: Found) -> bool:
        return found.ticket is not None

    def _keep_progress(self, found: Found) -> None:
        self.errand.progress = found.ticket
        self.errand.rating = found.rating

    # the late rating (kiosk.late_rating)

    def _rateable(self, _data: object) -> bool:
        return self.rating_offered()

    def _open_rating(self, _data: object) -> None:
        rating = self.errand.rating
        rating.level, rating.reasons, rating.failed = None, [], False

    def _level(self, level: object) -> int | None:
        rating = self.errand.rating
        return level if level in LEVELS and rating is not None and not rating.sending else None

    def _good_level(self, level: object) -> bool:
        return self._level(level) is not None and level > BAD_UP_TO

    def _bad_level(self, level: object) -> bool:
        return self._level(level) is not None and level <= BAD_UP_TO

    def _rate_now(self, level: int) -> Job:
        self.errand.rating.level = level
        return self._send_rating(None)

    def _ask_reasons(self, level: int) -> None:
        self.errand.rating.level, self.errand.rating.failed = level, False

    def _toggle_reason(self, code: str) -> None:
        rating = self.errand.rating
        if code in rating.reasons:
            rating.reasons.remove(code)
        elif any(r.code == code for r in late_reasons(self.hall.spec)):
            rating.reasons.append(code)

    def _rating_free(self, _data: object) -> bool:
        return not self.errand.rating.sending

    def _sendable(self, _data: object) -> bool:
        return self.errand.rating.sendable()

    def _back_to_faces(self, _data: object) -> None:
        self._open_rating(None)

    def _send_rating(self, _data: object) -> Job:
        """The rating, sent by the runner under the ticket's key; the level goes to no log."""
        rating = self.errand.rating
        rating.sending, rating.failed = True, False
        work = functools.partial(send, self.hall, rating, rating.level, list(rating.reasons))
        return Job(work, Event.RATED, Event.RATE_FAILED)

    def _rated(self, receipt: RatingReceipt) -> None:
        rating = self.errand.rating
        if rating is not None and rating.ticket_id == receipt.ticket_id:
            rating.sending, rating.standing = False, Standing.RATED
        log.info("ticket %s rated at this kiosk", receipt.ticket_id)

    def _refused(self, exc: Exception) -> bool:
        """The hall refused it for the transaction's sake (rated meanwhile, past its time):
        the progress screen says so."""
        return isinstance(exc, RatingRefused) and exc.reason in REFUSED_STANDING

    def _rating_refused(self, exc: RatingRefused) -> None:
        log.info("late rating refused: %s", exc)
        rating = self.errand.rating
        rating.sending, rating.standing = False, REFUSED_STANDING[exc.reason]

    def _rating_failed(self, exc: Exception) -> None:
        """Not taken, and not for the transaction's sake (the hall unreachable): tap again."""
        log.warning("late rating not sent: %r", exc)
        rating = self.errand.rating
        if rating is not None:
            rating.sending, rating.failed = False, True

    def _not_found(self, found: Found) -> None:
        self.errand.notice = Notice(None, None, problem=found.problem)

    def _has_ticket(self, issue: Issue) -> bool:
        return issue.ticket is not None

    def _keep_ticket(self, issue: Issue) -> None:
        self.errand.ticket, self.errand.printed = issue.ticket, issue.printed

    def _keep_refusal(self, issue: Issue) -> None:
        refusal = issue.refusal
        self.errand.notice = Notice(refusal.reason, refusal.service, refusal.reopens_at, refusal.earlier)

    def _hall_failed(self, exc: Exception) -> None:
        log.error("no ticket issued for %s: %r", self.errand.service, exc)
        self.errand.notice = Notice(None, self.errand.service)

    def _help_offered(self, _data: object) -> bool:
        return self.help_offered()

    def _call_for_help(self, _data: object) -> Job | None:
        return self._help_request() if self.help.press(self.visit.number) else None

    def _help_raised(self, call: HelpCallPublic) -> Job | None:
        return self._help_request() if self.help.raised(self.visit.number, call) else None

    def _help_failed(self, exc: Exception) -> Job | None:
        return self._help_request() if self.help.raise_failed(self.visit.number, exc) else None

    def _help_due(self, _data: object) -> bool:
        return self.help.poll_due()

    def _poll_help(self, _data: object) -> Job:
        self.help.polling(self.visit.number)
        return Job(functools.partial(self.hall.help_call, self.help.call.id), Event.HELP_POLLED, Event.HELP_POLL_FAILED)

    def _help_polled(self, call: HelpCallPublic) -> Job | None:
        return self._help_request() if self.help.polled(self.visit.number, call) else None

    def _help_poll_failed(self, exc: Exception) -> Job | None:
        return self._help_request() if self.help.poll_failed(self.visit.number, exc) else None

    def _help_request(self) -> Job:
        """The visit's call for staff, sent to the hall under a key of its own."""
        work = functools.partial(self.hall.call_for_help, self.location,
                                 idempotency_key=f"help-{self.terminal_id}-{uuid.uuid4().hex}")
        return Job(work, Event.HELP_RAISED, Event.HELP_FAILED)

    # the guides (办事指南)

    def _open_guides(self, _data: object) -> Job:
        """The services with guides; the catalogue is asked for again, and the last one
        shown meanwhile."""
        self.touched()
        self.errand.guides = Guides()
        return Job(self.hall.catalogue, Event.CATALOGUE_LOADED, Event.CATALOGUE_FAILED)

    def _keep_catalogue(self, matters: list[MatterPublic]) -> None:
        self.catalogue, self.catalogue_failed = matters, False

    def _catalogue_failed(self, exc: Exception) -> None:
        log.error("the hall's guides not loaded: %r", exc)
        self.catalogue_failed = True

    def _has_guides(self, code: object) -> bool:
        return self.errand.guides is not None and any(m.service == code for m in self.catalogue or ())

    def _list_matters(self, code: str) -> None:
        self.touched()
        self.errand.guides.service = code

    def _in_service(self, _data: object) -> bool:
        return self.errand.guides is not None and self.errand.guides.service is not None

    def _leave_service(self, _data: object) -> None:
        self.touched()
        self.errand.guides.service = None

    def _known_matter(self, code: object) -> bool:
        return self.errand.guides is not None and self.matter(code) is not None

    def _show_guide(self, code: str) -> None:
        guides = self.errand.guides
        guides.matter, guides.page, guides.printed = code, 0, None
        guides.service = self.matter(code).service

    def _turn_guide(self, step: object) -> None:
        """A page on, or back; the pages themselves are the texts' (they depend on the type size)."""
        self.touched()
        if step in (1, -1):
            shown, _page = self.texts.guide_page()  # the page held to the present type size's pages
            self.errand.guides.page = min(max(shown + step, 0), len(self.texts.guide_view().pages) - 1)

    def _print_free(self, _data: object) -> bool:
        return not self.errand.guides.printing

    def _print_checklist(self, _data: object) -> Job:
        """The checklist is laid out here, in the visit's language, and printed by the runner."""
        self.touched()
        guides = self.errand.guides
        guides.printing, guides.printed = True, None
        work = functools.partial(self._print_checklist_job, guides.matter, self.texts.checklist())
        return Job(work, Event.CHECKLIST_PRINTED, Event.CHECKLIST_PRINTED)

    def _checklist_printed(self, result: Checklist | Exception) -> None:
        guides = self.errand.guides
        if not isinstance(result, Checklist):
            log.error("checklist not printed: %r", result)
            result = Checklist(guides.matter if guides else "", PrintOutcome(problem=PrintProblem.ERROR))
        if guides is not None and guides.matter == result.matter:
            guides.printing, guides.printed = False, result

    # the cases (办件进度)

    def _open_cases(self, _data: object) -> None:
        self.errand.cases = Cases()

    def _card_finds_cases(self, outcome: CardOutcome) -> bool:
        return outcome.identity is not None and outcome.identity.case_hash is not None

    def _ask_cases(self, outcome: CardOutcome) -> Job:
        """The card's cases, asked of the hall by the hash alone."""
        self.touched()
        self.errand.cases = Cases(asking=True)
        return Job(functools.partial(self._person_cases, outcome.identity), Event.PERSON_CASES,
                   Event.PERSON_CASES_FAILED)

    def _cases_card_message(self, outcome: CardOutcome) -> None:
        """A card that cannot be read, or whose hash for cases could not be made."""
        self.touched()
        self.errand.cases = Cases(message=outcome.problem or Message("cases.no_key"))

    def _keep_person_cases(self, found: PersonCases) -> None:
        cases = self.errand.cases
        if cases is not None and cases.asking:
            cases.asking, cases.found = False, found.cases

    def _person_cases_failed(self, exc: Exception) -> None:
        log.warning("the card's cases not looked up: %r", exc)
        cases = self.errand.cases
        if cases is not None and cases.asking:
            cases.asking, cases.message = False, Message("cases.unavailable")

    def _listed_case(self, number: object) -> bool:
        cases = self.errand.cases
        return cases is not None and any(c.number == number for c in cases.found or ())

    def _show_case(self, number: str) -> None:
        cases = self.errand.cases
        cases.shown = next(c for c in cases.found if c.number == number)

    def _case_listed(self, _data: object) -> bool:
        return self.errand.cases is not None and self.errand.cases.found is not None

    def _has_case(self, found: CaseFound) -> bool:
        return found.case is not None

    def _keep_case(self, found: CaseFound) -> None:
        self.errand.cases = Cases(shown=found.case)

    # -- jobs: they run on the runner's thread and only return data ---------------------------

    def _find_case(self, code: CaseLink) -> CaseFound:
        """A scanned receipt's case; a link the hall did not sign is said as not found."""
        try:
            return CaseFound(case=self.hall.case_by_link(code.token))
        except MatterRefused as exc:
            log.info("scanned case not found: %s", exc)
            return CaseFound(problem=Message("cases.not_found"))

    def _person_cases(self, identity: Identification) -> PersonCases:
        return PersonCases(identity, self.hall.cases_of_person(identity.case_hash))

    def _print_checklist_job(self, matter: str, printout: TicketPrintout) -> Checklist:
        outcome = self.printer.print(printout)
        log.info("checklist of %s printed: %s", matter, outcome.device_status)
        self._report_printer(outcome)
        return Checklist(matter, outcome)

    def _issue(self, service: str, priority: Priority, language: str, identity: Identification | None) -> Issue:
        """Numbers the ticket, then prints it. Raises HallUnavailable (or a fault nobody
        foresaw) only while nothing is issued; after that, a problem is an outcome. Of an
        identified citizen the hall is told the salted hash and the age, nothing more."""
        person = {}
        if identity is not None:
            person = {"person_hash": identity.number_hash, "age": identity.age_on(self.today())}
        try:
            ticket = self.hall.issue_ticket(service, priority=priority, **person)
        except TicketRefused as exc:
            log.info("ticket refused: %s", exc)
            return Issue(refusal=exc)
        return self._print(ticket, language, identity)

    def _check_in(self, booking: BookingCode, language: str) -> Issue:
        try:
            ticket = self.hall.check_in(booking.text)
        except TicketRefused as exc:
            log.info("booking %s refused: %s", booking.booking_id, exc)
            return Issue(refusal=exc)
        return self._print(ticket, language, None)

    def _print(self, ticket: TicketInfo, language: str, identity: Identification | None) -> Issue:
        view = self.view(ticket, Translator(language), identity)
        outcome = self.printer.print(view.printout())
        log.info("ticket %s issued for %s; printed: %s", ticket.number, ticket.service, outcome.device_status)
        self._report_printer(outcome)
        return Issue(ticket=ticket, printed=outcome)

    def _held(self, identity: Identification) -> Held:
        return Held(identity, self.hall.person_tickets(identity.number_hash))

    def _find(self, code: TicketLink | TicketCode) -> Found:
        """The scanned ticket, and its transaction's rating once completed."""
        try:
            if isinstance(code, TicketLink):
                ticket = self.hall.ticket_by_link(code.token)
            elif code.hall_id != self.hall.spec.hall.id:
                return Found(problem=Message("progress.other_hall"))
            elif code.day != self.today():
                return Found(problem=Message("progress.other_day", {"day": code.day}))
            else:
                ticket = self.hall.ticket_by_number(code.number)
        except TicketNotFound as exc:
            log.info("scanned ticket not found: %s", exc)
            return Found(problem=Message("progress.not_found"))
        return Found(ticket=ticket, rating=look_up(self.hall, ticket, self.now()))

    def _warm_up(self) -> list[ServiceStatus]:
        self._report_printer(self.printer.check())
        return self.hall.services_status()

    def _report_printer(self, outcome: PrintOutcome) -> None:
        """Staff learn of an empty printer from the hall, not from a queue of puzzled people."""
        status = outcome.device_status
        if status != self._printer_status and self._report("printer", status, outcome.detail):
            self._printer_status = status

    def _report(self, part: str, status: str, detail: str) -> bool:
        """Tells the hall how a part of this kiosk is; False (logged) if the hall could not hear."""
        try:
            # A line for staff: a driver's message can quote a whole wire trace.
            self.hall.report_device(f"{self.terminal_id}/{part}", part, status, detail[:500])
        except Exception as exc:  # HallUnavailable, or worse: the ticket must still reach the screen
            log.warning("%s status %s not reported: %r", part, status, exc)
            return False
        return True

    # -- inside -------------------------------------------------------------------------

    def _new_visit(self) -> None:
        """Ends the visit under way: the next citizen's starts in the kiosk's defaults."""
        self.visit.reset()
        self.errand = Errand()
        self.help.reset()

    def view(self, ticket: TicketInfo, tr: Translator, identity: Identification | None) -> TicketView:
        """The ticket as it is printed and shown, in `tr`'s language, with the holder's
        masked number."""
        return ticket_view(self.hall.spec, ticket, tr, qr_base_url=self.qr_base_url,
                           holder=identity.masked_number if identity else None)


S, E, F = State, Event, TicketFlow
# Where a citizen can be met by a card or a code: every state but ISSUING, whose result must
# reach the screen. Over a ticket or a ticket's progress on screen, a card or a code is the
# next citizen's, and gets a visit of its own.
OPEN_TO_SCANS = (S.IDLE, S.CONFIRMING, S.IDENTIFYING, S.TICKET, S.PROGRESS, S.NOTICE, S.RATING, S.REASONS,
                 S.THANKS, S.GUIDES, S.GUIDE, S.CASES, S.CASE)
RATING_STATES = (S.RATING, S.REASONS)
TABLE = [
    Transition(S.IDLE, E.CHOOSE, S.CONFIRMING, guard=F._available, action=F._remember_service),
    Transition(S.IDLE, E.CHOOSE, S.NOTICE, guard=F._known_service, action=F._explain_unavailable),
    Transition(S.CONFIRMING, E.CONFIRM, S.IDENTIFYING, guard=F._needs_card, action=F._plan_issue),
    Transition(S.CONFIRMING, E.CONFIRM, S.ISSUING, action=F._plan_issue),
    Transition(S.CONFIRMING, E.BACK, S.IDLE),
    Transition(S.IDENTIFYING, E.BACK, S.CONFIRMING),
    # No way out of ISSUING but its result: a ticket being numbered must reach the screen.
    Transition(S.ISSUING, E.ISSUED, S.TICKET, guard=F._has_ticket, action=F._keep_ticket),
    Transition(S.ISSUING, E.ISSUED, S.NOTICE, action=F._keep_refusal),
    Transition(S.ISSUING, E.ISSUE_FAILED, S.NOTICE, action=F._hall_failed),
    Transition(S.ISSUING, E.FOUND, S.PROGRESS, guard=F._has_progress, action=F._keep_progress),
    Transition(S.ISSUING, E.FOUND, S.NOTICE, action=F._not_found),
    Transition(S.ISSUING, E.FIND_FAILED, S.NOTICE, action=F._hall_failed),
    Transition((S.TICKET, S.PROGRESS, S.THANKS, S.CASE), E.DONE, S.IDLE, action=F._end_visit),
    Transition(S.ISSUING, E.CASE_FOUND, S.CASE, guard=F._has_case, action=F._keep_case),
    Transition(S.ISSUING, E.CASE_FOUND, S.NOTICE, action=F._not_found),
    Transition(S.NOTICE, E.BACK, S.IDLE),
    Transition(S.PROGRESS, E.BACK, S.IDLE, guard=F._another_allowed),  # 办理其他业务: the visit goes on
    Transition((S.IDENTIFYING, S.NOTICE), E.HOME, S.IDLE, action=F._end_visit),  # 首页: start afresh
    # A scanned ticket's late rating: a good level is sent at once, a bad one asks its reasons;
    # a refusal for the transaction's sake (rated meanwhile, past its time) is said on its progress.
    Transition(S.PROGRESS, E.RATE_SERVICE, S.RATING, guard=F._rateable, action=F._open_rating),
    Transition(S.RATING, E.RATE, None, guard=F._good_level, action=F._rate_now),
    Transition(S.RATING, E.RATE, S.REASONS, guard=F._bad_level, action=F._ask_reasons),
    Transition(S.REASONS, E.REASON, None, guard=F._rating_free, action=F._toggle_reason),
    Transition(S.REASONS, E.SEND, None, guard=F._sendable, action=F._send_rating),
    Transition(S.REASONS, E.BACK, S.RATING, guard=F._rating_free, action=F._back_to_faces),
    Transition(S.RATING, E.BACK, S.PROGRESS, guard=F._rating_free),
    Transition(RATING_STATES, E.RATED, S.THANKS, action=F._rated),
    Transition(ANY, E.RATED, None, action=F._rated),  # the visit moved on meanwhile: taken all the same
    Transition(RATING_STATES, E.RATE_FAILED, S.PROGRESS, guard=F._refused, action=F._rating_refused),
    Transition(ANY, E.RATE_FAILED, None, action=F._rating_failed),
    # A card: it identifies the visit under way, or the next citizen's over an ended one; or
    # it says why it cannot.
    Transition(S.IDLE, E.CARD_PLACED, None, guard=F._card_usable, action=F._identify_and_look),
    Transition(S.CONFIRMING, E.CARD_PLACED, None, guard=F._card_read, action=F._identify_and_look),
    Transition(S.NOTICE, E.CARD_PLACED, S.IDLE, guard=F._card_usable, action=F._identify_and_look),
    Transition(S.PROGRESS, E.CARD_PLACED, S.IDLE, guard=F._card_over_held, action=F._identify_and_look),
    Transition((S.TICKET, S.PROGRESS), E.CARD_PLACED, S.IDLE, guard=F._card_usable, action=F._identify_new_visit),
    Transition(S.IDENTIFYING, E.CARD_PLACED, S.ISSUING, guard=F._card_read, action=F._identify),
    Transition(S.IDENTIFYING, E.CARD_PLACED, None, action=F._card_message),
    Transition((S.TICKET, S.PROGRESS), E.CARD_PLACED, S.NOTICE, action=F._card_notice_new_visit),
    Transition((S.IDLE, S.CONFIRMING, S.NOTICE), E.CARD_PLACED, S.NOTICE, action=F._card_notice),
    Transition(ANY, E.READER_CHANGED, None, action=F._reader_changed),
    # What the citizen identified holds: their open ticket at once, from home or the confirm screen.
    Transition((S.IDLE, S.CONFIRMING), E.HELD, S.PROGRESS, guard=F._holds_ticket, action=F._show_held),
    Transition(ANY, E.HELD, None, action=F._keep_held),
    Transition(ANY, E.HELD_FAILED, None, action=F._held_failed),
    # A code: a booking checks in, a ticket's code shows its progress, anything else is explained.
    Transition(OPEN_TO_SCANS, E.CODE_SCANNED, S.ISSUING, guard=F._is_booking, action=F._plan_code),
    Transition(OPEN_TO_SCANS, E.CODE_SCANNED, S.ISSUING, guard=F._is_ticket, action=F._plan_code),
    Transition(OPEN_TO_SCANS, E.CODE_SCANNED, S.ISSUING, guard=F._is_case, action=F._plan_code),
    Transition(OPEN_TO_SCANS, E.CODE_SCANNED, S.NOTICE, action=F._code_notice),
    Transition(OPEN_TO_SCANS, E.SCAN_FAILED, S.NOTICE, action=F._scan_notice),
    # Also at home: a language or type size chosen there must not greet the next citizen.
    Transition((S.IDLE, S.CONFIRMING, S.IDENTIFYING, S.TICKET, S.PROGRESS, S.NOTICE, *RATING_STATES, S.THANKS,
                S.GUIDES, S.GUIDE, S.CASES, S.CASE),
               E.TIMEOUT, S.IDLE, guard=F._forgotten, action=F._end_visit),
    # 办事指南: services, a service's matters, a matter's guide; back goes up a level.
    Transition(S.IDLE, E.GUIDES, S.GUIDES, action=F._open_guides),
    Transition(ANY, E.CATALOGUE_LOADED, None, action=F._keep_catalogue),
    Transition(ANY, E.CATALOGUE_FAILED, None, action=F._catalogue_failed),
    Transition(S.GUIDES, E.GUIDE_SERVICE, None, guard=F._has_guides, action=F._list_matters),
    Transition(S.GUIDES, E.GUIDE, S.GUIDE, guard=F._known_matter, action=F._show_guide),
    Transition(S.GUIDES, E.BACK, None, guard=F._in_service, action=F._leave_service),
    Transition(S.GUIDES, E.BACK, S.IDLE),
    Transition(S.GUIDE, E.BACK, S.GUIDES),
    Transition(S.GUIDE, E.GUIDE_PAGE, None, action=F._turn_guide),
    Transition(S.GUIDE, E.PRINT_CHECKLIST, None, guard=F._print_free, action=F._print_checklist),
    Transition(ANY, E.CHECKLIST_PRINTED, None, action=F._checklist_printed),
    Transition(S.GUIDES, E.HOME, S.IDLE, action=F._end_visit),
    # 办件进度: a card lists its cases of the last 90 days (a receipt's code is scanned anywhere).
    Transition(S.IDLE, E.CASES, S.CASES, action=F._open_cases),
    Transition(S.CASES, E.CARD_PLACED, None, guard=F._card_finds_cases, action=F._ask_cases),
    Transition(S.CASES, E.CARD_PLACED, None, action=F._cases_card_message),
    Transition(ANY, E.PERSON_CASES, None, action=F._keep_person_cases),
    Transition(ANY, E.PERSON_CASES_FAILED, None, action=F._person_cases_failed),
    Transition(S.CASES, E.CASE, S.CASE, guard=F._listed_case, action=F._show_case),
    Transition(S.CASES, E.BACK, S.IDLE),
    Transition(S.CASES, E.HOME, S.IDLE, action=F._end_visit),
    Transition(S.CASE, E.BACK, S.CASES, guard=F._case_listed),
    # 呼叫工作人员, in every state; its requests and answers leave the state as it is.
    Transition(ANY, E.HELP, None, guard=F._help_offered, action=F._call_for_help),
    Transition(ANY, E.HELP_RAISED, None, action=F._help_raised),
    Transition(ANY, E.HELP_FAILED, None, action=F._help_failed),
    Transition(ANY, E.TIMEOUT, None, guard=F._help_due, action=F._poll_help),
    Transition(ANY, E.HELP_POLLED, None, action=F._help_polled),
    Transition(ANY, E.HELP_POLL_FAILED, None, action=F._help_poll_failed),
    Transition(ANY, VisitEvent.LANGUAGE, None, guard=F._known_language, action=F._set_language),
    Transition(ANY, VisitEvent.LARGE_TYPE, None, action=F._toggle_large_type),
    Transition(ANY, VisitEvent.VOICE, None, action=F._toggle_voice),
    Transition(ANY, E.SPEAKER_CHANGED, None, action=F._speaker_changed),
    Transition(S.IDLE, E.REFRESH, None, action=F._load_queues),
    Transition(ANY, E.QUEUES_LOADED, None, action=F._keep_queues),
    Transition(ANY, E.QUEUES_FAILED, None, action=F._queues_failed),
]
ON_ENTER = {
    S.IDLE: F._enter_idle,
    S.CONFIRMING: F._enter_and_load,
    S.IDENTIFYING: F._enter,
    S.ISSUING: F._start_work,
    S.TICKET: F._enter,
    S.PROGRESS: F._enter,
    S.NOTICE: F._enter,
    S.RATING: F._enter,
    S.REASONS: F._enter,
    S.THANKS: F._enter,
    S.GUIDES: F._enter,
    S.GUIDE: F._enter,
    S.CASES: F._enter,
    S.CASE: F._enter,
}
# The clock's events come whatever the state; the states that have no use for them drop them,
# and ISSUING lets cards and codes pass while the hall answers.
IGNORED = {E.TIMEOUT, E.REFRESH, E.CARD_PLACED, E.CODE_SCANNED, E.SCAN_FAILED, E.REPORTED, E.RATE, E.REASON,
           E.SEND, E.GUIDE_PAGE, E.PRINT_CHECKLIST}

__all__ = ["Guide", "TicketFlow"]
