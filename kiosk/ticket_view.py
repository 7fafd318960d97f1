"""A ticket as a citizen reads it, on screen and on paper alike.

Both the ticket screen and the printed slip are made from one TicketView, so the number,
the counters and the estimate can never differ between what is shown and what is printed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices.ticket_layout import TicketPrintout
from hall.tickets import Priority, TicketInfo, TicketStatus
from hall.spec import HallSpec
from kiosk.i18n import Translator


@dataclass(frozen=True)
class TicketView:
    hall_name: str
    number: str
    service: str
    tag: str | None
    counters: str
    ahead: str
    estimate: str
    issued: str
    qr_payload: str
    labels: dict[str, str]
    footer: tuple[str, ...]
    holder: str | None = None  # the masked ID number of an identified citizen, and nothing more of them

    def details(self) -> tuple[tuple[str, str], ...]:
        rows = ((self.labels["counters"], self.counters),
                (self.labels["ahead"], self.ahead),
                (self.labels["estimate"], self.estimate),
                (self.labels["time"], self.issued))
        return rows + (((self.labels["holder"], self.holder),) if self.holder else ())

    def printout(self) -> TicketPrintout:
        return TicketPrintout(hall_name=self.hall_name, number=self.number, service=self.service,
                              details=self.details(), qr_payload=self.qr_payload,
                              qr_caption=self.labels["qr_caption"], footer=self.footer, tag=self.tag)


def ticket_code(spec: HallSpec, ticket: TicketInfo) -> str:
    """What the QR holds: enough to find the ticket at the hall (hall, day, number) and
    nothing about the person."""
    return f"{spec.hall.id}/{ticket.day:%Y%m%d}/{ticket.number}"


def ticket_view(spec: HallSpec, ticket: TicketInfo, tr: Translator, *, qr_base_url: str = "",
                tag: str | None = None, holder: str | None = None) -> TicketView:
    """`tag` overrides the priority's tag: a reprint or a technician's test slip says so.
    A ticket from the hall server brings its own signed link for the QR code. `holder` is the
    masked ID number of the citizen identified by card (kiosk.identity.mask_id_number)."""
    service = spec.service(ticket.service)
    if tag is None and ticket.priority is not Priority.NORMAL:
        tag = tr.t(f"tag.{ticket.priority.value}")
    labels = {k: tr.t(f"ticket.{k}") for k in ("counters", "ahead", "estimate", "time", "holder")}
    # Only a QR that opens the hall's progress page may promise the queue's progress.
    labels["qr_caption"] = tr.t("ticket.qr_progress" if qr_base_url else "ticket.qr_desk")
    return TicketView(
        hall_name=spec.hall.name.get(tr.language),
        number=ticket.number,
        service=service.name.get(tr.language) if service else ticket.service,
        tag=tag,
        counters=tr.counters(ticket.counters),
        ahead=tr.people(ticket.ahead),
        estimate=tr.wait(ticket.estimated_wait_minutes, paused=ticket.paused),
        issued=tr.datetime(ticket.issued_at),
        qr_payload=ticket.link or qr_base_url + ticket_code(spec, ticket),
        labels=labels,
        footer=(tr.t("ticket.footer_listen"), tr.t("ticket.footer_valid")),
        holder=holder,
    )


@dataclass(frozen=True)
class ProgressView:
    """A scanned ticket's place in the queue, as the progress screen shows it."""

    number: str
    service: str
    status: str                            # one sentence: where the ticket stands
    rows: tuple[tuple[str, str], ...]      # label and value, while it waits


def progress_view(spec: HallSpec, ticket: TicketInfo, tr: Translator, *, today: date) -> ProgressView:
    service = spec.service(ticket.service)
    rows: tuple[tuple[str, str], ...] = ()
    if ticket.status is TicketStatus.COMPLETED:  # on any day: its transaction may be rated the next
        status = tr.t("progress.completed")
    elif ticket.day != today:
        status = tr.t("progress.other_day", day=tr.date(ticket.day))
    elif ticket.status is TicketStatus.WAITING:
        status = tr.t("progress.waiting")
        rows = ((tr.t("ticket.counters"), tr.counters(ticket.counters)),
                (tr.t("ticket.ahead"), tr.people(ticket.ahead)),
                (tr.t("ticket.estimate"), tr.wait(ticket.estimated_wait_minutes, paused=ticket.paused)))
    elif ticket.status is TicketStatus.CALLED:
        status = tr.t("progress.called", counters=tr.counters((ticket.counter,)))
    else:
        status = tr.t(f"progress.{ticket.status.value}")
    return ProgressView(number=ticket.number, service=service.name.get(tr.language) if service else ticket.service,
                        status=status, rows=rows)
