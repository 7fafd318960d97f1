"""The citizen's way through the ticket kiosk, as a state machine that knows nothing of Kivy.

idle → choosing a service → confirming → issuing → the ticket → idle. Every step can be
driven from a test exactly as from a screen. An inactivity timeout wipes the session (its
language, large type, chosen service and ticket) so the next citizen starts clean.
"""
from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hall.errors import RefusalReason, TicketRefused
from hall.tickets import Priority, ServiceStatus, TicketInfo
from kiosk.hall_client import Hall, HallUnavailable
from kiosk.i18n import Translator
from kiosk.printing import PrintOutcome, TicketPrinterService
from kiosk.ticket_view import TicketView, ticket_view

log = logging.getLogger(__name__)


class State(enum.Enum):
    IDLE = "idle"
    CHOOSING = "choosing"
    CONFIRMING = "confirming"
    ISSUING = "issuing"
    TICKET = "ticket"
    NOTICE = "notice"


class Event(enum.Enum):
    START = "start"
    CHOOSE = "choose"
    CONFIRM = "confirm"
    BACK = "back"
    HOME = "home"
    ISSUED = "issued"
    REFUSED = "refused"
    DONE = "done"
    TIMEOUT = "timeout"


S, E = State, Event
TRANSITIONS: dict[tuple[State, Event], State] = {
    (S.IDLE, E.START): S.CHOOSING,
    (S.CHOOSING, E.CHOOSE): S.CONFIRMING,
    (S.CHOOSING, E.BACK): S.IDLE,
    (S.CHOOSING, E.HOME): S.IDLE,
    (S.CHOOSING, E.TIMEOUT): S.IDLE,
    (S.CONFIRMING, E.CONFIRM): S.ISSUING,
    (S.CONFIRMING, E.BACK): S.CHOOSING,
    (S.CONFIRMING, E.HOME): S.IDLE,
    (S.CONFIRMING, E.TIMEOUT): S.IDLE,
    # No way out of ISSUING but its result: a ticket being numbered must reach the screen.
    (S.ISSUING, E.ISSUED): S.TICKET,
    (S.ISSUING, E.REFUSED): S.NOTICE,
    (S.TICKET, E.DONE): S.IDLE,
    (S.TICKET, E.HOME): S.IDLE,
    (S.TICKET, E.TIMEOUT): S.IDLE,
    (S.NOTICE, E.BACK): S.CHOOSING,
    (S.NOTICE, E.HOME): S.IDLE,
    (S.NOTICE, E.TIMEOUT): S.IDLE,
}


class FlowError(Exception):
    """An event that the present state does not accept, such as a second tap on 取号."""


class FlowListener:
    """What a screen layer overrides to follow the flow; every method may be left alone."""

    def on_state(self, old: State, new: State) -> None:
        pass

    def on_session(self) -> None:
        """Language or type size changed."""


@dataclass
class Session:
    """One citizen's visit: wiped whole when the kiosk returns to idle."""

    language: str
    large_type: bool
    service: str | None = None
    ticket: TicketInfo | None = None
    view: TicketView | None = None
    printed: PrintOutcome | None = None
    notice: str = ""
    last_touch: float = field(default=0.0)


@dataclass(frozen=True)
class ServiceChoice:
    code: str
    prefix: str
    name: str
    description: str
    counters: str
    waiting: int
    waiting_text: str   # "5 人"
    estimate_text: str  # "约 14 分钟"
    queue_text: str     # both in one line for the service list, or "无需等候"
    available: bool
    notice: str


def run_now(job: Callable[[], object], done: Callable[[object], None]) -> None:
    """Runs a job on the caller's thread; the Kivy app passes a threaded runner instead."""
    done(job())


class TicketFlow:
    def __init__(self, hall: Hall, printer: TicketPrinterService, *, terminal_id: str,
                 language: str = "zh_CN", large_type: bool = False, idle_timeout: float = 60,
                 ticket_timeout: float = 20, qr_base_url: str = "",
                 listener: FlowListener | None = None,
                 run_async: Callable[[Callable[[], object], Callable[[object], None]], None] = run_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] | None = None):
        self.hall = hall
        self.printer = printer
        self.terminal_id = terminal_id
        self.default_language = language
        self.default_large_type = large_type
        self.idle_timeout = idle_timeout
        self.ticket_timeout = ticket_timeout
        self.qr_base_url = qr_base_url
        self.listener = listener or FlowListener()
        self.run_async = run_async
        self.monotonic = monotonic
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.state = State.IDLE
        self.session = self._new_session()
        self._queue: list[tuple[Event, Callable[[], None] | None]] = []
        self._firing = False
        self._printer_status: str | None = None

    # -- what a screen shows ------------------------------------------------------------

    @property
    def tr(self) -> Translator:
        return Translator(self.session.language)

    def hall_name(self) -> str:
        return self.hall.spec.hall.name.get(self.session.language)

    def hours_today(self) -> str:
        local = self.now().astimezone(self.hall.spec.zone)
        periods = self.hall.spec.hours.periods_on(local.date())
        if not periods:
            return self.tr.t("home.closed_today")
        hours = "  ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in periods)
        return self.tr.t("home.hours_today", hours=hours)

    def services(self) -> list[ServiceChoice]:
        """The services with their queues, in the hall's order, in the session's language.
        Raises HallUnavailable when the hall cannot be asked."""
        spec, tr = self.hall.spec, self.tr
        lang = self.session.language
        statuses = {s.code: s for s in self.hall.services_status()}
        out = []
        for service in spec.services:
            st: ServiceStatus = statuses[service.code]
            out.append(ServiceChoice(
                code=service.code, prefix=service.prefix, name=service.name.get(lang),
                description=service.description.get(lang) if service.description else "",
                counters=tr.counters([c.id for c in spec.counters_for(service.code)]),
                waiting=st.waiting,
                waiting_text=tr.people(st.waiting),
                estimate_text=tr.wait(st.estimated_wait_minutes),
                queue_text=(f"{tr.t('services.waiting', n=st.waiting)} · {tr.wait(st.estimated_wait_minutes)}"
                            if st.waiting else tr.t("services.no_wait")),
                available=st.refusal is None,
                notice=self.refusal_text(st.refusal, st.reopens_at) if st.refusal else "",
            ))
        return out

    def chosen(self) -> ServiceChoice | None:
        if self.session.service is None:
            return None
        return next((c for c in self.services() if c.code == self.session.service), None)

    def refusal_text(self, reason: RefusalReason, reopens_at: datetime | None) -> str:
        when = ""
        if reopens_at is not None:
            local = reopens_at.astimezone(self.hall.spec.zone)
            today = self.now().astimezone(self.hall.spec.zone).date()
            when = f"{local:%H:%M}" if local.date() == today else self.tr.datetime(local)
        return self.tr.t(f"refusal.{reason.value}", when=when)

    # -- what a citizen does ------------------------------------------------------------

    def start(self) -> None:
        self._fire(Event.START)

    def choose(self, service: str) -> None:
        if self.hall.spec.service(service) is None:
            raise FlowError(f"unknown service {service!r}")

        def remember() -> None:
            self.session.service = service
        self._fire(Event.CHOOSE, remember)

    def confirm(self, priority: Priority = Priority.NORMAL) -> None:
        service = self.session.service
        self._fire(Event.CONFIRM)
        self.run_async(lambda: self._issue(service, priority), self._issued)

    def back(self) -> None:
        self._fire(Event.BACK)

    def home(self) -> None:
        self._fire(Event.HOME)

    def done(self) -> None:
        self._fire(Event.DONE)

    def touched(self) -> None:
        self.session.last_touch = self.monotonic()

    def set_language(self, language: str) -> None:
        Translator(language)  # refuses an unknown language before the session changes
        self.session.language = language
        self.touched()
        if self.session.ticket is not None:
            self.session.view = self._view(self.session.ticket)
        self.listener.on_session()

    def toggle_large_type(self) -> None:
        self.session.large_type = not self.session.large_type
        self.touched()
        self.listener.on_session()

    def warm_up(self) -> None:
        """Opens the hall and the printer before the first citizen arrives, and tells the
        hall how the printer is. Runs off the UI thread once the first frame is shown."""
        try:
            self.hall.services_status()
        except HallUnavailable as exc:
            log.error("hall not ready: %s", exc)
        self._report_printer(self.printer.check())

    def tick(self) -> None:
        """Called about once a second by the screen layer: ends a forgotten session."""
        if self.state in (State.IDLE, State.ISSUING):
            return
        limit = self.idle_timeout
        if self.state is State.TICKET and self.session.printed and self.session.printed.ok:
            limit = self.ticket_timeout
        if self.monotonic() - self.session.last_touch >= limit:
            self._fire(Event.TIMEOUT)

    # -- inside -------------------------------------------------------------------------

    def _issue(self, service: str, priority: Priority) -> tuple[Event, Callable[[], None]]:
        """Runs off the UI thread: number the ticket, then print it."""
        try:
            ticket = self.hall.issue_ticket(service, priority=priority)
        except TicketRefused as exc:
            log.info("ticket refused: %s", exc)
            text = self.refusal_text(exc.reason, exc.reopens_at)
            return Event.REFUSED, lambda: setattr(self.session, "notice", text)
        except Exception as exc:  # HallUnavailable, or a fault nobody foresaw: nothing was issued
            log.log(logging.ERROR if isinstance(exc, HallUnavailable) else logging.CRITICAL,
                    "no ticket issued for %s: %r", service, exc, exc_info=not isinstance(exc, HallUnavailable))
            text = self.tr.t("refusal.hall_unavailable")
            return Event.REFUSED, lambda: setattr(self.session, "notice", text)
        view = self._view(ticket)
        outcome = self.printer.print(view.printout())
        log.info("ticket %s issued for %s; printed: %s", ticket.number, service, outcome.device_status)
        self._report_printer(outcome)

        def keep() -> None:
            self.session.ticket, self.session.view, self.session.printed = ticket, view, outcome
        return Event.ISSUED, keep

    def _issued(self, result: object) -> None:
        event, apply = result  # type: ignore[misc]
        self._fire(event, apply)

    def _view(self, ticket: TicketInfo) -> TicketView:
        return ticket_view(self.hall.spec, ticket, self.tr, qr_base_url=self.qr_base_url)

    def _report_printer(self, outcome: PrintOutcome) -> None:
        """Staff learn of an empty printer from the hall, not from a queue of puzzled people."""
        status = outcome.device_status
        if status == self._printer_status:
            return
        try:
            self.hall.report_device(f"{self.terminal_id}/printer", "printer", status, outcome.detail)
            self._printer_status = status
        except HallUnavailable as exc:
            log.warning("printer status %s not reported: %s", status, exc)

    def _new_session(self) -> Session:
        return Session(language=self.default_language, large_type=self.default_large_type,
                       last_touch=self.monotonic())

    def _fire(self, event: Event, before: Callable[[], None] | None = None) -> None:
        """Checks and applies one event; events fired by a listener meanwhile wait their turn."""
        if (self.state, event) not in TRANSITIONS and not self._firing:
            raise FlowError(f"event {event.value!r} is not accepted in state {self.state.value!r}")
        self._queue.append((event, before))
        if self._firing:
            return
        self._firing = True
        try:
            while self._queue:
                event, before = self._queue.pop(0)
                target = TRANSITIONS.get((self.state, event))
                if target is None:
                    log.warning("event %s ignored in state %s", event.value, self.state.value)
                    continue
                if before:
                    before()
                self._go(target)
        finally:
            self._firing = False

    def _go(self, new: State) -> None:
        old, self.state = self.state, new
        if new is State.IDLE:
            self.session = self._new_session()
        else:
            self.touched()
        log.info("flow: from %s to %s", old.value, new.value)
        self.listener.on_state(old, new)
