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

from hall.booking_codes import BOOKING_CODE_FORM
from hall.errors import RefusalReason
from hall.matters.states import MatterRefusal
from hall.ratings.terms import (CallOutcome, CaseState, CaseStep, Channel, RatingRefusal, RatingState)
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
    COUNTER = "counter"                # a counter terminal, bound to its counter
    DISPLAY = "display"
    KEYPAD_BRIDGE = "keypad_bridge"    # the rating keypads of one RS-485 line, bound to their counters


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
    paused: bool = Field(False, description="waiting while every counter that may call it is paused; the estimate "
                                           "then counts from their resuming")

    @classmethod
    def of(cls, ticket: TicketInfo, link: str | None = None) -> TicketPublic:
        return cls(id=ticket.id, number=ticket.number, service=ticket.service, priority=ticket.priority,
                   status=ticket.status, day=ticket.day, issued_at=ticket.issued_at, ahead=ticket.ahead,
                   estimated_wait_minutes=ticket.estimated_wait_minutes, counters=list(ticket.counters),
                   counter=ticket.counter, recalls=ticket.recalls, link=link or ticket.link, paused=ticket.paused)

    def info(self) -> TicketInfo:
        return TicketInfo(id=self.id, number=self.number, service=self.service, priority=self.priority,
                          status=self.status, day=self.day, issued_at=self.issued_at, ahead=self.ahead,
                          estimated_wait_minutes=self.estimated_wait_minutes, counters=tuple(self.counters),
                          counter=self.counter, recalls=self.recalls, link=self.link, paused=self.paused)


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
    code: str = Field(min_length=1, max_length=512, pattern=BOOKING_CODE_FORM,
                      description="the booking code as scanned (docs/booking-qr.md), in any case; a code in "
                                  "this form whose day or time window does not exist is refused (422)")


class PersonTicketsRequest(Request):
    person_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                             description="HMAC-SHA256 of the ID number keyed with the day's person key (64 hex "
                                         "digits), as a ticket is issued with it")


class PersonTicketsPublic(BaseModel):
    tickets: list[TicketPublic] = Field(description="the person's open tickets today (waiting, called or held)")
    open_to: list[str] = Field(description="the services the person may still take a ticket for")

    def info(self) -> PersonTickets:
        return PersonTickets(tickets=tuple(t.info() for t in self.tickets), open_to=tuple(self.open_to))


class PersonSaltPublic(BaseModel):
    salt: str = Field(description="hex: today's key of the person hash; a kiosk uses it for one card and forgets it")
    day: date = Field(description="the hall's day the key is for: the hashes it makes match that day's alone")


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


class CompletedAndCalledPublic(BaseModel):
    completed: TicketPublic = Field(description="the ticket that was being served, now completed")
    called: TicketPublic | None = Field(description="the next ticket, now called; null when nobody waits")


class CallBackRequest(Request):
    number: str = Field(pattern=r"^\s*[A-Za-z]\d{3,4}\s*$", examples=["A012", "A0012"])


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
    reason: RefusalReason | RatingRefusal | MatterRefusal | None = Field(
        None, description="for error=refused: why the ticket was refused; for error=rating_refused: why the "
                          "rating, case step or call-back was; for error=matter_refused: why the case of a "
                          "matter or its step was")
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


class StreamReady(BaseModel):
    """The data of the `ready` message that opens a stream asked for without a position: the
    last event id at that moment, after which the stream goes on."""

    model_config = ConfigDict(extra="forbid")

    last_event_id: int


class StreamTick(BaseModel):
    """The data of a `tick` message: empty; it says only that the stream is alive."""

    model_config = ConfigDict(extra="forbid")


# The data of any message of a live stream, as the API's document describes it (each
# model's schema stands alone: none has nested models).
STREAM_MESSAGE = {"title": "StreamMessage",
                  "description": "the JSON data of one message: an event (EventPublic), the opening `ready` "
                                 "(StreamReady) or a `tick` (StreamTick); the message's `event` field says which",
                  "anyOf": [m.model_json_schema() for m in (EventPublic, StreamReady, StreamTick)]}


# -- the pages' data: hall display, counter queue, device health, help calls -----------------

class DisplayCall(BaseModel):
    event_id: int = Field(description="the number's latest call; its audio is /api/v1/display/calls/{event_id}/audio")
    first_event_id: int = Field(0, description="the number's first call of those shown, which sets its place in the list")
    kind: str = Field(examples=["called"], description="the latest call's: called, recalled or called_back")
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
    estimated_wait_minutes: int = Field(0, description="what a new ticket of the service would wait")
    paused: bool = Field(False, description="every counter of the service is paused")


class NoticeRequest(Request):
    text: StoredText = Field(max_length=200, description="the display's notice line; empty clears it")


class NoticePublic(BaseModel):
    text: str
    set_by: str | None
    set_at: datetime | None


class DisplayBoard(BaseModel):
    """What the hall display shows, public and without personal data. A page loads it, then
    follows /api/v1/display/events after last_event_id."""

    hall_name: dict[str, str]
    announcement: str = Field(description="speech or chime")
    notice: str = Field("", description="the notice line a supervisor set (通知公告); empty when none")
    speech_within_seconds: int = Field(60, description="a call not yet said this long after it was made is not said")
    now: datetime | None = Field(None, description="the server's time, against which a call's age is measured")
    last_event_id: int
    calls: list[DisplayCall] = Field(description="today's latest called numbers, each once, newest first")
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


# -- ratings (docs/ratings.md) ---------------------------------------------------------------

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
TicketId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# A mobile (13812345678) or a landline with its area code (0571-87654321), +86 allowed.
Phone = Annotated[str, StringConstraints(strip_whitespace=True,
                                         pattern=r"^(?:\+?86[ -]?)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")]


class RatingContent(Request):
    level: int = Field(ge=1, le=5, strict=True, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[ReasonCode] = Field([], max_length=10,
                                      description="codes from GET /ratings/reasons; a level of 1 or 2 needs one")
    comment: StoredText = Field("", max_length=500)


# Longer than any hall's late-rating time (15 working days and the longest holidays): a
# rating older than that is taken by no channel, so a larger age says nothing more.
MAX_GIVEN_SECONDS_AGO = 60 * 24 * 3600


class RatingRequest(RatingContent):
    ticket_id: TicketId
    identified: bool = Field(False, strict=True,
                             description="the rater was identified by ID card (who it was is never sent)")
    given_seconds_ago: float = Field(0, ge=0, le=MAX_GIVEN_SECONDS_AGO, strict=True,
                                     description="how long before this request the rating was given (a terminal's "
                                                 "outbox, delivering after an outage): measured on the terminal's "
                                                 "own clock, so that clock need not agree with the hall's; never "
                                                 "taken as earlier than the transaction's completion")


class RatingReceipt(BaseModel):
    """What the rater gets back: taken, once. The level is not repeated."""

    ticket_id: int
    state: RatingState
    channel: Channel
    rated_at: datetime


class RatingStatusPublic(BaseModel):
    """A transaction's rating as staff, terminals and the citizen may see it: never the level."""

    ticket_id: int
    state: RatingState | None = Field(description="awaiting (the counter's prompt is open), rated, not_rated; "
                                                  "null while the ticket is not completed")
    rateable_until: datetime | None = Field(description="a late rating is taken until then (phone page, kiosk)")
    callback_offered: bool = Field(description="the hall will phone back (回访) if the citizen leaves a number")

    @classmethod
    def of(cls, status) -> RatingStatusPublic:
        """From a hall.ratings.records.RatingStatus."""
        return cls(**status.__dict__)


class ReasonPublic(BaseModel):
    code: str
    name: dict[str, str] = Field(description="by language: zh_CN, zh_TW, en")
    needs_comment: bool

    @classmethod
    def of(cls, reason) -> ReasonPublic:
        """From a hall.spec.Reason."""
        return cls(code=reason.code, name=reason.name.model_dump(exclude_none=True), needs_comment=reason.needs_comment)


class RatingPublic(BaseModel):
    """A rating whole, for supervisors only."""

    id: int
    ticket_id: int
    number: str
    day: date = Field(description="the transaction's day")
    service: str
    department: str
    counter: str
    staff_job_no: str | None
    level: int
    reasons: list[str]
    comment: str
    channel: Channel
    identified: bool
    rated_at: datetime
    set_aside: bool = Field(description="an appeal against it was upheld: it counts in no figure")

    @classmethod
    def of(cls, r, *, number: str, day: date) -> RatingPublic:
        """From a hall.models.Rating, its ticket's number and the transaction's day."""
        return cls(id=r.id, ticket_id=r.ticket_id, number=number, day=day, service=r.service,
                   department=r.department, counter=r.counter, staff_job_no=r.staff_job_no, level=r.level,
                   reasons=[c for c in r.reasons.split(",") if c], comment=r.comment, channel=r.channel,
                   identified=r.identified, rated_at=r.rated_at, set_aside=r.set_aside)


class FigurePublic(BaseModel):
    key: str = Field(description="the job number, counter, service code, department or day (YYYY-MM-DD)")
    transactions: int
    rated: int
    not_rated: int
    satisfied: int = Field(description="rated 基本满意 or better")
    bad: int = Field(description="rated 不满意 or 非常不满意")
    satisfaction_rate: float | None = Field(description="satisfied / rated, 0 to 1; null with nothing rated")
    bad_rate: float | None = Field(description="bad / rated")
    not_rated_share: float | None = Field(description="not_rated / transactions")
    below_threshold: bool = Field(description="satisfaction under the hall's satisfaction_threshold")

    @classmethod
    def of(cls, figure) -> FigurePublic:
        """From a hall.ratings.figures.Figure."""
        return cls(**figure.__dict__)


class LevelsPublic(BaseModel):
    """How a period's transactions were rated."""

    counts: dict[int, int] = Field(description="by level, 5 非常满意 to 1 非常不满意; ratings set aside left out")
    not_rated: int = Field(description="the prompt ended unanswered and no late rating came")
    awaiting: int = Field(description="the counter's prompt is still open")
    set_aside: int = Field(description="ratings set aside by an upheld appeal")

    @classmethod
    def of(cls, levels) -> LevelsPublic:
        """From a hall.ratings.figures.Levels."""
        return cls(**levels.__dict__)


class DurationsPublic(BaseModel):
    """How long a period's transactions waited and were served: counts per bucket."""

    wait_edges: list[int] = Field(description="bucket edges in minutes: under the first, between two, the last and more")
    waits: list[int] = Field(description="from issue to call; one more than wait_edges")
    service_edges: list[int]
    services: list[int] = Field(description="from call to completion; one more than service_edges")

    @classmethod
    def of(cls, durations) -> DurationsPublic:
        """From a hall.ratings.figures.Durations."""
        return cls(**durations.__dict__)


class CaseStepRequest(Request):
    step: CaseStep
    note: StoredText = Field(min_length=1, max_length=500, description="what was done or found")


class CaseEventPublic(BaseModel):
    step: str = Field(description="open, or the step taken")
    state: CaseState = Field(description="the case's state after it")
    note: str
    by: str | None = Field(description="the supervisor's job number; null for the opening")
    at: datetime


class CasePublic(BaseModel):
    id: int
    ticket_id: int
    number: str
    rating: RatingPublic
    state: CaseState
    opened_at: datetime
    due: date = Field(description="the last working day it may take (hall-local)")
    overdue: bool = Field(description="not finished by the end of its due day")
    finished_at: datetime | None
    steps: list[CaseEventPublic] | None = Field(None, description="its history, in GET /cases/{id} only")

    @classmethod
    def of(cls, record, steps=None) -> CasePublic:
        """From a hall.ratings.cases.CaseRecord, and its history (cases.history) if given."""
        c = record.case
        rating = RatingPublic.of(record.rating, number=record.number, day=record.day)
        return cls(id=c.id, ticket_id=c.ticket_id, number=record.number, rating=rating, state=c.state,
                   opened_at=c.opened_at, due=c.due, overdue=record.overdue, finished_at=c.finished_at,
                   steps=None if steps is None else [CaseEventPublic(**s.__dict__) for s in steps])


class PhoneRequest(Request):
    phone: Phone = Field(description="a mobile or a landline with its area code; kept until the call is made")


class CounterPhoneRequest(PhoneRequest):
    ticket_id: TicketId


class CallbackPublic(BaseModel):
    """A citizen to phone back (回访)."""

    ticket_id: int
    number: str
    service: str
    counter: str
    completed_at: datetime
    phone: str


class CallRecord(Request):
    outcome: CallOutcome
    level: int | None = Field(None, ge=1, le=5, strict=True, description="with outcome answered: the rating")
    reasons: list[ReasonCode] = Field([], max_length=10)
    comment: StoredText = Field("", max_length=500)

    @model_validator(mode="after")
    def _level_with_answer(self) -> CallRecord:
        if (self.outcome is CallOutcome.ANSWERED) != (self.level is not None):
            raise ValueError("give a level with outcome answered, and only then")
        return self


class StaffCardPublic(BaseModel):
    """The staff member serving at a counter, as the citizen there sees them."""

    job_no: str
    name: str
    post: str
    department: str
    photo: str | None = Field(description="the path of their photo (GET with the terminal's token), if the hall "
                                          "gave one")


class PromptPublic(BaseModel):
    """The rating prompt open at a counter: its transaction, and until when it waits."""

    ticket_id: int
    number: str
    until: datetime
    callback_offered: bool = Field(description="the hall will phone back (回访) if the citizen leaves a number")


class CounterTerminalPublic(BaseModel):
    """What a counter terminal shows: its counter, who serves there, the number being served,
    the open rating prompt, and how the hall rates."""

    counter: str
    paused: bool
    serving: str | None = Field(description="the number being served, if any", examples=["A012"])
    staff: StaffCardPublic | None = Field(description="the staff member signed in at this counter, if any")
    prompt: PromptPublic | None
    window_seconds: int = Field(description="how long a prompt waits for the citizen")
    reasons: list[ReasonPublic] = Field(description="what a bad rating may be given for")
    last_event_id: int = Field(description="the live events after this one follow this card (GET /events?after=)")
    at: datetime = Field(description="the server's time of this card, against which the prompt's end is told")


class CallbackDone(BaseModel):
    ticket_id: int
    outcome: CallOutcome
    rated: bool = Field(description="the answer was taken as the transaction's rating")
