"""Putting a terminal together from its settings: the hall, the printer, the flow; for the
counter terminal, its flow and the hall's live events it follows."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from hall.person_keys import KEY_FILE
from hall.tickets import Priority, TicketInfo, TicketStatus
from kiosk.config import Settings
from kiosk.counter_terminal import CounterFlow
from kiosk.embedded import EmbeddedHall
from kiosk.flow import TicketFlow
from kiosk.hall_client import Hall
from kiosk.i18n import Translator
from kiosk.inputs import Inputs, Post
from kiosk.printing import PrintOutcome, TicketPrinterService
from kiosk.ticket_view import ticket_view
from kiosk.voice import Speaker, VoiceGuide


def open_hall(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Hall:
    """The embedded hall, or the hall server's client; raises HallUnavailable when the
    server is unreachable and its definition was never kept on this kiosk."""
    t = settings.terminal
    if t.hall != "embedded":
        from kiosk.remote import RemoteHall  # requests, only on a remote kiosk
        return RemoteHall(t.hall, t.hall_token, data_dir=settings.data_dir, ca_bundle=settings.hall_ca)
    return EmbeddedHall(settings.hall, settings.database_url, person_key_file=settings.data_dir / KEY_FILE,
                        hall_file=settings.hall_file, clock=clock)


def open_uplink(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Uplink | None:
    """A village station's report to its parent, started on a thread of its own (with its own
    engine: the UI thread never waits on the parent), or None when it reports to no one."""
    e = settings.config.embedded
    if settings.terminal.hall != "embedded" or not e.parent:
        return None
    from hall.uplink.sender import Uplink  # requests, only on a station that reports up

    uplink = Uplink(settings.hall, settings.database_url, hall_file=settings.hall_file, parent=e.parent,
                    token=e.parent_token, ca_bundle=settings.parent_ca, clock=clock)
    uplink.start()
    return uplink


if TYPE_CHECKING:
    from hall.uplink.sender import Uplink
    from kiosk.live_events import LiveEvents


def counter_flow(settings: Settings, hall, **kwargs) -> CounterFlow:
    """The counter terminal's flow on its hall server (a RemoteHall: open_hall), with its
    receipt printer."""
    from kiosk.counter_receipts import CounterReceipts
    from kiosk.voice import Speaker

    t, counter = settings.terminal, settings.config.counter
    kwargs.setdefault("speaker", Speaker())
    printer = None
    if counter.receipt_printer is not None:
        printer = TicketPrinterService(counter.receipt_printer, counter.receipt_printer_profile,
                                       spool_dir=settings.data_dir / "receipt-printer")
    kwargs.setdefault("receipts", CounterReceipts(hall, printer, terminal_id=t.id,
                                                  monotonic=kwargs.get("monotonic", time.monotonic)))
    return CounterFlow(hall, counter=counter.id, language=t.language, large_type=t.large_type,
                       voice=t.voice, thanks_seconds=counter.thanks_seconds, **kwargs)


def follow_events(settings: Settings, flow: CounterFlow, post: Post) -> Callable[[int], LiveEvents]:
    """What starts the hall's live events for the counter flow after the event its first card
    stands at; each event and each change of connection reaches the flow through `post`."""
    import requests

    from kiosk.live_events import LiveEvents

    def start(after: int) -> LiveEvents:
        session = requests.Session()
        session.verify = settings.hall_ca or True
        return LiveEvents(settings.terminal.hall, settings.terminal.hall_token,
                          on_event=lambda event: post(functools.partial(flow.live, event.kind, event.data)),
                          on_connection=lambda up: post(functools.partial(flow.connection, up)),
                          after=after, session=session).start()
    return start


def open_printer(settings: Settings, url: str | None = None) -> TicketPrinterService:
    return TicketPrinterService(url or settings.devices.printer, settings.devices.printer_profile,
                                spool_dir=settings.data_dir / "printer")


def ticket_flow(settings: Settings, hall: Hall, printer: TicketPrinterService, **kwargs) -> TicketFlow:
    t = settings.terminal
    kwargs.setdefault("guide", VoiceGuide(Speaker()))
    return TicketFlow(hall, printer, terminal_id=t.id, language=t.language, large_type=t.large_type,
                      voice=t.voice, idle_timeout=t.idle_timeout, ticket_timeout=t.ticket_timeout,
                      qr_base_url=t.qr_base_url, location=t.location, **kwargs)


def open_inputs(settings: Settings, flow: TicketFlow, post: Post) -> Inputs:
    """The ID card reader, the scanner and the camera, delivering to the flow through `post`."""
    return Inputs(settings, flow, post).start()


def print_sample(settings: Settings, printer: TicketPrinterService, language: str | None = None,
                 now: datetime | None = None) -> PrintOutcome:
    """A test slip for a technician, laid out and sent by the same code as a real ticket;
    it is tagged as a test and numbered from no queue."""
    spec = settings.hall
    tr = Translator(language or settings.terminal.language)
    service = spec.services[0]
    when = (now or datetime.now(timezone.utc)).astimezone(spec.zone)
    sample = TicketInfo(id=0, number=f"{service.prefix}001", service=service.code,
                        priority=Priority.NORMAL, status=TicketStatus.WAITING, day=when.date(),
                        issued_at=when, ahead=3, estimated_wait_minutes=12,
                        counters=tuple(c.id for c in spec.counters_for(service.code)),
                        counter=None, recalls=0)
    view = ticket_view(spec, sample, tr, qr_base_url=settings.terminal.qr_base_url, tag=tr.t("tag.test"))
    return printer.print(view.printout())
