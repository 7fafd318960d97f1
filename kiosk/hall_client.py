"""The one interface a terminal has to its hall.

Screens and flows call these methods and never learn whether the hall runs inside this
terminal (EmbeddedHall: a village station, or a hall with one kiosk) or on the hall server.
Both raise the same errors: TicketRefused with a reason the citizen is told, HallUnavailable
when the hall cannot answer at all.

Help calls (呼叫工作人员) need someone to answer them: a hall server's staff consoles do. An
embedded hall has no console, so it takes none and its kiosk offers no such button.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from hall.errors import HallError, RefusalReason, TicketRefused
from hall.tickets import PersonTickets, Priority, ServiceStatus, TicketInfo
from hall.spec import HallSpec

if TYPE_CHECKING:
    from hall.matters.schemas import MatterProgressPublic, MatterPublic
    from hall.schemas import HelpCallPublic, RatingReceipt, RatingStatusPublic  # the wire schema


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
    def person_tickets(self, person_hash: str) -> PersonTickets:
        """The open tickets today of the person with this hash, and the services they may
        still take a ticket for: told as soon as their card is read."""

    @abstractmethod
    def person_salt(self) -> bytes:
        """Today's key of the person hash: an ID number is hashed with it on the kiosk and
        never leaves it. Each day has its own key (hall.person_keys), so the caller asks for
        it for each card and keeps it nowhere."""

    @abstractmethod
    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        """Tell the hall how a device is (a printer out of paper needs staff). A remote hall
        accepts the report into the terminal's outbox and delivers it later."""

    @abstractmethod
    def rating_status(self, ticket_id: int) -> RatingStatusPublic:
        """Whether a transaction was rated, and until when a late rating is taken; never
        the level. Raises RatingRefused (not_found) for a ticket the hall does not know."""

    @abstractmethod
    def rate(self, ticket_id: int, level: int, *, reasons: list[str], idempotency_key: str) -> RatingReceipt:
        """A scanned ticket's late rating, given at this kiosk (channel kiosk). Raises
        RatingRefused with the hall's reason (already rated, past its time, a bad rating
        without a reason: nothing written), or HallUnavailable. The same key again gives the
        same answer; a key used before for another rating is refused as already rated."""

    @abstractmethod
    def catalogue(self) -> list[MatterPublic]:
        """The matters of the hall's catalogue with their guides (办事指南), by service;
        raises HallUnavailable."""

    @abstractmethod
    def guide_link(self, code: str) -> str | None:
        """The address of a matter's guide for a phone (the server's public /guides pages);
        None where the hall has no server a phone could open."""

    @abstractmethod
    def case_salt(self) -> bytes:
        """The hall's key for cases: an ID number hashed with it on the kiosk finds that
        person's cases (办件), and the number never leaves the kiosk. Asked for each card."""

    @abstractmethod
    def case_by_link(self, token: str) -> MatterProgressPublic:
        """The case of a scanned receipt's progress link (/m/TOKEN); MatterRefused (not_found)
        for a token the hall did not sign or a case it does not have."""

    @abstractmethod
    def cases_of_person(self, case_hash: str) -> list[MatterProgressPublic]:
        """The cases of the person whose number has this hash under the hall's key for cases,
        the latest first: open ones and those closed within 90 days."""

    @property
    def takes_help_calls(self) -> bool:
        """Whether staff consoles answer this hall's help calls."""
        return False

    def call_for_help(self, location: str, *, idempotency_key: str | None = None) -> HelpCallPublic:
        """This kiosk's open help call: raised now, or the one the consoles already show
        (one alert however often it is pressed). Raises HallUnavailable if it cannot be
        raised, as on a hall that takes no help calls."""
        raise HallUnavailable("this hall has no staff console to answer a help call")

    def help_call(self, call_id: int) -> HelpCallPublic:
        """This kiosk's help call as it stands (taken_at set: someone is coming); raises
        HelpCallNotFound, or HallUnavailable."""
        raise HallUnavailable("this hall has no staff console to answer a help call")

    def close(self) -> None:
        """Release connections."""


__all__ = ["Hall", "HallUnavailable", "Priority", "RefusalReason", "ServiceStatus", "TicketInfo",
           "TicketRefused"]
