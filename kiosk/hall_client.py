"""The one interface a terminal has to its hall.

Screens and flows call these methods and never learn whether the hall runs inside this
terminal (EmbeddedHall: a village station, or a hall with one kiosk) or on the hall server.
Both raise the same errors: TicketRefused with a reason the citizen is told, HallUnavailable
when the hall cannot answer at all.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from hall.errors import HallError, RefusalReason, TicketRefused
from hall.tickets import Priority, ServiceStatus, TicketInfo
from hall.spec import HallSpec


class HallUnavailable(HallError):
    """The hall cannot be asked right now (database or network); nothing was issued."""


class Hall(ABC):
    @property
    @abstractmethod
    def spec(self) -> HallSpec:
        """The hall's name, hours, services and counters."""

    @abstractmethod
    def services_status(self) -> list[ServiceStatus]:
        """Waiting counts, estimates and whether each service issues tickets now."""

    @abstractmethod
    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL, person_hash: str | None = None,
                     age: int | None = None, idempotency_key: str | None = None) -> TicketInfo:
        """A new ticket, numbered by the hall; raises TicketRefused or HallUnavailable.
        The same idempotency key again (a retry) gives the same ticket, never a second.
        For a citizen identified by ID card: the person hash (kiosk.identity.number_hash with
        person_salt()) and the age in whole years; the hall decides the rest."""

    @abstractmethod
    def check_in(self, code: str, *, idempotency_key: str | None = None) -> TicketInfo:
        """A booked ticket for a scanned booking code; TicketRefused says why not (forged,
        another hall's, early with when to come, expired, used with the ticket it gave)."""

    @abstractmethod
    def ticket(self, ticket_id: int) -> TicketInfo:
        """A ticket as it stands now (its place, its counter); raises TicketNotFound."""

    @abstractmethod
    def ticket_by_link(self, token: str) -> TicketInfo:
        """The ticket a scanned ticket link's token names; TicketNotFound unless the hall signed it."""

    @abstractmethod
    def ticket_by_number(self, number: str) -> TicketInfo:
        """Today's ticket of that number (a scanned ticket code); raises TicketNotFound."""

    @abstractmethod
    def person_salt(self) -> bytes:
        """The hall's key of the person hash: an ID number is hashed with it on the kiosk
        and never leaves it. Kept in memory only."""

    @abstractmethod
    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        """Tell the hall how a device is (a printer out of paper needs staff). A remote hall
        accepts the report into the terminal's outbox and delivers it later."""

    def close(self) -> None:
        """Release connections."""


__all__ = ["Hall", "HallUnavailable", "Priority", "RefusalReason", "ServiceStatus", "TicketInfo",
           "TicketRefused"]
