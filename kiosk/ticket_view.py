"""A ticket as a citizen reads it, on screen and on paper alike.

Both the ticket screen and the printed slip are made from one TicketView, so the number,
the counters and the estimate can never differ between what is shown and what is printed.
"""
from __future__ import annotations

from dataclasses import dataclass

from devices.ticket_layout import TicketPrintout
from hall.tickets import Priority, TicketInfo
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

    def details(self) -> tuple[tuple[str, str], ...]:
        return ((self.labels["counters"], self.counters),
                (self.labels["ahead"], self.ahead),
                (self.labels["estimate"], self.estimate),
                (self.labels["time"], self.issued))

    def printout(self) -> TicketPrintout:
        return TicketPrintout(hall_name=self.hall_name, number=self.number, service=self.service,
                              details=self.details(), qr_payload=self.qr_payload,
                              qr_caption=self.labels["qr_caption"], footer=self.footer, tag=self.tag)


def ticket_code(spec: HallSpec, ticket: TicketInfo) -> str:
    """What the QR holds: enough to find the ticket at the hall (hall, day, number) and
    nothing about the person."""
    return f"{spec.hall.id}/{ticket.day:%Y%m%d}/{ticket.number}"


def ticket_view(spec: HallSpec, ticket: TicketInfo, tr: Translator, *, qr_base_url: str = "",
                tag: str | None = None) -> TicketView:
    """`tag` overrides the priority's tag: a reprint or a technician's test slip says so.
    A ticket from the hall server brings its own signed link for the QR code."""
    service = spec.service(ticket.service)
    if tag is None and ticket.priority is not Priority.NORMAL:
        tag = tr.t(f"tag.{ticket.priority.value}")
    return TicketView(
        hall_name=spec.hall.name.get(tr.language),
        number=ticket.number,
        service=service.name.get(tr.language) if service else ticket.service,
        tag=tag,
        counters=tr.counters(ticket.counters),
        ahead=tr.people(ticket.ahead),
        estimate=tr.wait(ticket.estimated_wait_minutes),
        issued=tr.datetime(ticket.issued_at),
        qr_payload=ticket.link or qr_base_url + ticket_code(spec, ticket),
        labels={k: tr.t(f"ticket.{k}") for k in ("counters", "ahead", "estimate", "time", "qr_caption")},
        footer=(tr.t("ticket.footer_listen"), tr.t("ticket.footer_valid")),
    )
