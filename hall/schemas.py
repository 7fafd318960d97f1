"""The hall server's wire schema, written once: the server answers with these models and the
remote hall (kiosk/remote.py) reads its answers with them. Pydantic only, no web framework,
so a kiosk can load it.

Requests forbid unknown keys and bound every string, so a malformed request is a 422 that
names the field, never a server error; answers carry no personal data.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hall.errors import RefusalReason
from hall.tickets import CounterState, PersonTickets, Priority, ServiceStatus, TicketInfo, TicketStatus

ServiceCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]
CounterId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{1,8}$")]
DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
JobNo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


def _storable(text: str) -> str:
    if "\x00" in text:  # PostgreSQL's text cannot hold it (SQLite's can): refused on both alike
        raise ValueError("must not contain the NUL character")
    return text


StoredText = Annotated[str, AfterValidator(_storable)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceKind(str, Enum):
    KIOSK = "kiosk"
    COUNTER = "counter"
    DISPLAY = "display"


class Role(str, Enum):
    STAFF = "staff"              # the counters listed for them
    SUPERVISOR = "supervisor"    # every counter
    ADMIN = "admin"              # every counter, and the hall's accounts


# -- tickets and queues -------------------------------------------------------------------

class TicketPublic(BaseModel):
    id: int
    number: str = Field(examples=["A012"])
    service: str = Field(description="the queue it waits in now")
    priority: Priority
    status: TicketStatus
    day: date = Field(description="hall-local date of issue; a ticket is valid that day")
    issued_at: datetime
    ahead: int = Field(description="waiting tickets to be called before it (0 unless waiting)")
    estimated_wait_minutes: int
    counters: list[str] = Field(description="the counters that may call it")
    counter: str | None = Field(description="the counter that called it; null while waiting")
    recalls: int
    link: str | None = Field(None, description="its public address, signed by the hall: the QR code's content")

    @classmethod
    def of(cls, ticket: TicketInfo, link: str | None = None) -> TicketPublic:
        return cls(id=ticket.id, number=ticket.number, service=ticket.service, priority=ticket.priority,
                   status=ticket.status, day=ticket.day, issued_at=ticket.issued_at, ahead=ticket.ahead,
                   estimated_wait_minutes=ticket.estimated_wait_minutes, counters=list(ticket.counters),
                   counter=ticket.counter, recalls=ticket.recalls, link=link or ticket.link)

    def info(self) -> TicketInfo:
        return TicketInfo(id=self.id, number=self.number, service=self.service, priority=self.priority,
                          status=self.status, day=self.day, issued_at=self.issued_at, ahead=self.ahead,
                          estimated_wait_minutes=self.estimated_wait_minutes, counters=tuple(self.counters),
                          counter=self.counter, recalls=self.recalls, link=self.link)


class IssueRequest(Request):
    service: ServiceCode
    priority: Priority = Priority.NORMAL
    person_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                    description="HMAC-SHA256 of the holder's ID number keyed with the hall's person "
                                                "salt (64 hex digits), for one ticket per person")
    # Strict: a kiosk that sends true or "75" has a bug to show, not an age to guess at.
    age: int | None = Field(None, ge=0, le=150, strict=True,
                            description="the holder's age in whole years, from the ID card: the hall gives the "
                                        "green channel from its green_channel_age")


class CheckInRequest(Request):
    code: str = Field(min_length=1, max_length=512, description="the booking code as scanned (docs/booking-qr.md)")


class PersonTicketsRequest(Request):
    person_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                             description="HMAC-SHA256 of the ID number keyed with the hall's person salt (64 hex "
                                         "digits), as a ticket is issued with it")


class PersonTicketsPublic(BaseModel):
    tickets: list[TicketPublic] = Field(description="the person's open tickets today (waiting, called or held)")
    open_to: list[str] = Field(description="the services the person may still take a ticket for")

    def info(self) -> PersonTickets:
        return PersonTickets(tickets=tuple(t.info() for t in self.tickets), open_to=tuple(self.open_to))


class PersonSaltPublic(BaseModel):
    salt: str = Field(description="hex: the key of the person hash; a kiosk keeps it in memory only")


class ServiceStatusPublic(BaseModel):
    code: str
    waiting: int
    open_counters: int
    estimated_wait_minutes: int = Field(description="what a new normal ticket would wait")
    issued_today: int
    quota: int | None
    refusal: RefusalReason | None = Field(description="why a ticket would be refused now; null when issuing")
    reopens_at: datetime | None

    @classmethod
    def of(cls, status: ServiceStatus) -> ServiceStatusPublic:
        return cls(**status.__dict__)

    def info(self) -> ServiceStatus:
        return ServiceStatus(**self.model_dump())


class CounterStatePublic(BaseModel):
    id: str
    paused: bool
    current: TicketPublic | None

    @classmethod
    def of(cls, state: CounterState) -> CounterStatePublic:
        return cls(id=state.id, paused=state.paused,
                   current=TicketPublic.of(state.current) if state.current else None)


class CallBackRequest(Request):
    number: str = Field(pattern=r"^\s*[A-Za-z]\d{3}\s*$", examples=["A012"])


class TransferRequest(Request):
    to_service: ServiceCode | None = None
    to_counter: CounterId | None = None

    @model_validator(mode="after")
    def _one(self) -> TransferRequest:
        if (self.to_service is None) == (self.to_counter is None):
            raise ValueError("give to_service or to_counter, one of them")
        return self


# -- devices ---------------------------------------------------------------------------------

class DeviceReport(Request):
    device_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_/.-]{0,127}$",
                           description="the reporting terminal's id, or ID/part such as kiosk-01/printer")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["printer"])
    status: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["paper_out"])
    detail: StoredText = Field("", max_length=500)


class DevicePublic(BaseModel):
    device_id: str
    kind: DeviceKind
    online: bool = Field(description="heard from within the hall's offline limit")
    last_seen_at: datetime | None


class DeviceStatusPublic(BaseModel):
    device_id: str
    kind: str
    status: str
    detail: str
    at: datetime


# -- staff -----------------------------------------------------------------------------------

class LoginRequest(Request):
    job_no: JobNo
    password: str = Field(min_length=1, max_length=256)
    counter: CounterId | None = Field(None, description="the counter being staffed; limits the session to it")


class StaffSessionPublic(BaseModel):
    job_no: str
    name: str
    role: Role
    counters: list[str] = Field(description="the counters this session may operate")
    csrf_token: str = Field(description="send it back as X-CSRF-Token on every write made with the cookie")


# -- answers that are not a resource ---------------------------------------------------------

class EarlierTicketPublic(BaseModel):
    number: str
    service: str
    issued_at: datetime


class Problem(BaseModel):
    """Every error answer."""

    error: str = Field(description="a stable code, such as refused, busy, unauthorized")
    message: str
    reason: RefusalReason | None = Field(None, description="for error=refused: why")
    reopens_at: datetime | None = Field(None, description="for error=refused: when it opens again (booking_early: "
                                                          "when the booking checks in)")
    earlier_ticket: EarlierTicketPublic | None = Field(
        None, description="for reason already_has_ticket: the person's first open ticket of the day; "
                          "booking_used: the ticket the booking gave")
    fields: list[dict] | None = Field(None, description="for error=invalid: what is wrong where")


class EventPublic(BaseModel):
    """One event of the live stream (data of an SSE message whose id and event are id and kind)."""

    id: int
    kind: str
    at: datetime
    ticket_id: int | None
    counter: str | None
    payload: dict = Field(description="see docs/api.md, Live events")

    @classmethod
    def of(cls, record) -> EventPublic:
        """From a hall.events.EventRecord."""
        return cls(id=record.id, kind=record.kind, at=record.at, ticket_id=record.ticket_id,
                   counter=record.counter, payload=record.payload)


# -- the pages' data: hall display, counter queue, device health, help calls -----------------

class DisplayCall(BaseModel):
    event_id: int = Field(description="the call's event; its audio is /api/v1/display/calls/{event_id}/audio")
    kind: str = Field(examples=["called"], description="called, recalled or called_back")
    number: str
    counter: str
    at: datetime


class DisplayCounter(BaseModel):
    id: str
    number: str | None = Field(description="the ticket it serves now")
    paused: bool


class DisplayService(BaseModel):
    code: str
    name: dict[str, str] = Field(description="by language: zh_CN, zh_TW, en")
    waiting: int


class DisplayBoard(BaseModel):
    """What the hall display shows, public and without personal data. A page loads it, then
    follows /api/v1/display/events after last_event_id."""

    hall_name: dict[str, str]
    announcement: str = Field(description="speech or chime")
    last_event_id: int
    calls: list[DisplayCall] = Field(description="today's latest calls, newest first")
    counters: list[DisplayCounter]
    services: list[DisplayService]


class WaitingTicketPublic(BaseModel):
    id: int
    number: str
    service: str
    priority: Priority
    status: TicketStatus = Field(description="waiting, or held/absent (to be called back)")
    issued_at: datetime
    target_counter: str | None


class CounterQueuePublic(BaseModel):
    """A staff console's view of its counter."""

    counter: CounterStatePublic
    serving_since: datetime | None = Field(description="when the ticket being served was called")
    now: datetime = Field(description="the server's time, by which a console with a wrong clock still times right")
    tickets: list[WaitingTicketPublic] = Field(description="waiting in calling order, then held and absent")


class DeviceHealthPublic(BaseModel):
    device_id: str
    kind: str
    state: str = Field(description="ok, paper_near_end, paper_out, offline or error")
    since: datetime | None
    part: str | None = Field(description="the part that makes the state, such as kiosk-01/printer")
    detail: str


class HelpRequest(Request):
    location: StoredText = Field("", max_length=64, description="where the kiosk stands, as its configuration says")


class HelpCallPublic(BaseModel):
    id: int
    device_id: str
    location: str
    raised_at: datetime
    presses: int = Field(description="how often it was pressed while open")
    taken_at: datetime | None = Field(description="when a staff member took it: someone is coming")
    taken_by: str | None = Field(description="the job number of who took it")

    @classmethod
    def of(cls, call) -> HelpCallPublic:
        """From a hall.models.HelpCall."""
        return cls(id=call.id, device_id=call.device_id, location=call.location, raised_at=call.raised_at,
                   presses=call.presses, taken_at=call.taken_at, taken_by=call.taken_by)
