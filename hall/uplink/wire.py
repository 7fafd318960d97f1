"""What an event looks like on its way up, and what of it may go.

Only the fields named here for an event's kind leave the hall, whatever a later change puts
in its payload: a new field goes up once it is added here, after a look at what it holds.
Nothing that names or identifies a person is on the list: no person hash, ID number, name,
phone number, free text (a rating's comment, a case's note, a device's detail, the
display's notice) or staff job number. A kind not listed goes up with an empty payload. A
case accepted here for the parent to decide goes up with its matter and checklist, and the
masked ID number at most.

What comes back down with each answer are the steps the parent's staff took on the cases
this hall sent up (`DownStep`): where and by whom (a job number) they were taken, and the
note the citizen is told.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from hall.matters.states import MatterState, MatterStep
from hall.models import MAX_ID
from hall.tickets import EventKind

COUNTS = "counts"  # a map of names (a service's code) to whole numbers
_NAMES = {"zh_CN": True, "zh_TW": True, "en": True}

_TICKET = {"ticket": {"id": True, "number": True, "service": True, "priority": True, "status": True,
                      "counter": True, "target_counter": True},
           "waiting": COUNTS}
_DEVICE = {"device": True, "kind": True, "status": True, "previous": True, "last_seen_at": True}
ALLOWED: dict[str, dict] = {
    **{kind.value: _TICKET for kind in (EventKind.ISSUED, EventKind.CALLED, EventKind.RECALLED, EventKind.ABSENT,
                                        EventKind.HELD, EventKind.CALLED_BACK, EventKind.TRANSFERRED,
                                        EventKind.COMPLETED)},
    EventKind.COUNTER_PAUSED.value: {"counter": True, "paused": True},
    EventKind.COUNTER_RESUMED.value: {"counter": True, "paused": True},
    EventKind.COUNTER_STAFF.value: {"counter": True, "signed_in": True},
    EventKind.DEVICE_STATUS.value: _DEVICE,
    EventKind.DEVICE_OFFLINE.value: _DEVICE,
    EventKind.DEVICE_ONLINE.value: _DEVICE,
    EventKind.HELP_REQUESTED.value: {"help_call": {"id": True, "device": True, "raised_at": True}},
    EventKind.HELP_TAKEN.value: {"help_call": {"id": True, "device": True, "raised_at": True}},
    EventKind.RATED.value: {"rating": {"id": True, "ticket_id": True, "counter": True, "channel": True,
                                       "state": True, "level": True, "reasons": True, "service": True,
                                       "department": True, "identified": True}},
    EventKind.NOT_RATED.value: {"rating": {"ticket_id": True, "counter": True, "state": True}},
    EventKind.CASE_OPENED.value: {"case": {"id": True, "rating_id": True, "ticket_id": True, "step": True,
                                           "state": True, "due": True}},
    EventKind.CASE_STEP.value: {"case": {"id": True, "rating_id": True, "ticket_id": True, "step": True,
                                         "state": True, "due": True}},
    EventKind.CALLBACK_MADE.value: {"callback": {"ticket_id": True, "outcome": True}},
    EventKind.MATTER_STEP.value: {"matter": {"id": True, "number": True, "code": True, "service": True, "step": True,
                                             "state": True, "due": True, "light": True}},
    EventKind.MATTER_LIGHT.value: {"light": True, "count": True, "day": True},
    EventKind.MATTER_REFERRED.value: {"matter": {"id": True, "number": True, "code": True, "name": _NAMES,
                                                 "service": True, "department": True, "decided_by": True,
                                                 "promised_days": True, "due": True, "applicant": True,
                                                 "documents": [_NAMES], "received": True}},
}

HallId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^(\d{6}|\d{9}|\d{12})$")]
EventId = Annotated[int, Field(ge=1, le=MAX_ID)]


def strip(kind: str, payload: object) -> dict:
    """The payload with only the fields allowed for its kind."""
    return _kept(ALLOWED.get(kind, {}), payload)


def _kept(allowed: dict, value: object) -> dict:
    if not isinstance(value, dict):
        return {}
    kept = {}
    for name, rule in allowed.items():
        if name not in value:
            continue
        item = value[name]
        if rule is COUNTS:
            if isinstance(item, dict):
                kept[name] = {str(k): n for k, n in item.items() if isinstance(n, int) and not isinstance(n, bool)}
        elif isinstance(rule, dict):
            kept[name] = _kept(rule, item)
        elif isinstance(rule, list):  # a list of objects, each kept by the one rule
            kept[name] = [_kept(rule[0], i) for i in item] if isinstance(item, list) else []
        elif item is None or isinstance(item, (str, int, float, bool)) or (
                isinstance(item, list) and all(isinstance(i, (str, int)) for i in item)):
            kept[name] = item
    return kept


class UplinkEvent(BaseModel):
    seq: EventId = Field(description="its place in the sender's order: the hall's event id, or a relaying "
                                     "parent's number of receipt")
    origin: HallId = Field(description="the hall it happened in")
    id: EventId = Field(description="its id in that hall's event log")
    kind: Kind
    at: AwareDatetime
    day: date = Field(description="the hall-local date it happened on")
    counter: str | None = Field(None, max_length=8)
    ticket: EventId | None = None
    payload: dict = Field(default_factory=dict, description="only the fields allowed for its kind are kept")


class ReportedHall(BaseModel):
    """A hall a relaying parent reports for: what its own parent needs to place and judge it."""

    name: str = Field(min_length=1, max_length=64)
    region: RegionCode
    heard_at: AwareDatetime | None = Field(None, description="when the relaying parent last heard from it")


class UplinkBatch(BaseModel):
    hall: HallId = Field(description="the sender: the hall whose uplink token this is")
    after: int = Field(ge=0, le=MAX_ID, description="the last seq the sender knows to be stored here")
    steps_after: int | None = Field(None, ge=0, le=MAX_ID,
                                    description="the last of this parent's steps (`cursor`) the sender applied to "
                                                "the cases it sent up: the answer carries those after it. None from "
                                                "a relay: no steps")
    events: list[UplinkEvent] = Field(default_factory=list, max_length=2000,
                                      description="in increasing seq; none is a heartbeat")
    halls: dict[HallId, ReportedHall] = Field(default_factory=dict, max_length=10_000,
                                             description="from a relaying parent: the halls it reports for")


class DownStep(BaseModel):
    """A step the parent's staff took on a case the child sent up, for the child to apply to
    its own case."""

    cursor: EventId = Field(description="its place in the parent's order: the child applies each once, in order, "
                                        "and names the last in its next batch's steps_after")
    case: EventId = Field(description="the case's id at the child")
    number: str = Field(max_length=16, description="its number at the child (办件编号)")
    step: MatterStep
    state: MatterState = Field(description="the parent's case's state after it")
    by: str | None = Field(max_length=32, description="the job number of whoever took it at the parent")
    place: str = Field(max_length=80, description="the parent's hall, where it was taken")
    at: AwareDatetime
    note: str = Field(max_length=500, description="what was done; on return, the reason; on request_documents, "
                                                  "what is owed")
    received: list[Annotated[int, Field(ge=0, le=29)]] = Field(
        max_length=30, description="the indexes of the documents received so far (the child's checklist's)")


class UplinkAck(BaseModel):
    acked: int = Field(description="the highest seq stored from this sender: send what follows it")
    stored: int = Field(description="events of this batch stored now")
    repeats: int = Field(description="events of this batch already stored before, absorbed")
    steps: list[DownStep] = Field(default_factory=list, description="the parent's steps of the child's cases after "
                                                                    "the batch's steps_after, in order")
    more_steps: bool = Field(False, description="more steps follow those: send again soon")


class DefinitionUpload(BaseModel):
    hall: HallId
    definition: dict = Field(description="the hall definition (hall.toml) as JSON, as GET /api/v1/hall gives it")


class DefinitionReceipt(BaseModel):
    hall: HallId
    digest: str


def wire_event(*, seq: int, origin: str, event_id: int, kind: str, at: datetime, day: date, counter: str | None,
               ticket: int | None, payload: object) -> dict:
    return {"seq": seq, "origin": origin, "id": event_id, "kind": kind, "at": at.isoformat(), "day": day.isoformat(),
            "counter": counter, "ticket": ticket, "payload": strip(kind, payload)}
