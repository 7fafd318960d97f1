"""The wire schema of matters and their cases (办件), for the API and the pages."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from hall.matters.applicants import ID_NUMBER
from hall.matters.cases import checklist
from hall.matters.catalogue import CODE, Entry, MAX_DAYS
from hall.matters.states import MatterState, MatterStep, Light
from hall.matters.applicants import masked_phone
from hall.models import MAX_ID
from hall.schemas import Phone, Request, StoredText
from hall.spec import LANGUAGES

DocumentIndex = Annotated[int, Field(ge=0, le=29, strict=True)]
Languages = dict[str, str]


class MatterCaseRequest(Request):
    matter_code: str = Field(pattern=CODE, description="the catalogue's 事项编码")
    ticket_id: int | None = Field(None, ge=1, le=MAX_ID, description="the ticket being served; none for a walk-in")
    id_number: str | None = Field(None, pattern=ID_NUMBER,
                                  description="the applicant's ID number, read from their card at the counter: "
                                              "kept only masked and as a hash under the hall's person key")
    documents: list[DocumentIndex] = Field([], max_length=30,
                                           description="the indexes of the matter's documents received")
    agent: str | None = Field(None, min_length=1, max_length=32,
                              description="the hall's agent carrying it (全程代办), where the matter offers one")
    refused_reason: str | None = Field(None, min_length=1, max_length=500,
                                       description="given: the case is recorded as not accepted (不予受理) for it")
    phone: Phone | None = Field(None, description="the citizen's mobile or landline with its area code, if they want "
                                                  "to be told when documents are owed and when it is completed; "
                                                  "kept until it closes, and taken only where the hall's supervision "
                                                  "names a channel for citizens (docs/matters.md)")


class MatterStepRequest(Request):
    step: MatterStep
    note: str = Field("", max_length=500, description="what was done; for return, the reason (required)")
    documents: list[DocumentIndex] = Field([], max_length=30, description="documents received with this step")


class MatterStepPublic(BaseModel):
    step: str = Field(description="open, or a step")
    state: MatterState
    by: str | None = Field(description="the staff member's job number")
    at: datetime
    note: str
    place: str | None = Field(None, description="the hall it was taken at, when not this one: the level that decides "
                                                "a case sent up, or the hall below that accepted one")


class CitizenNoticePublic(BaseModel):
    step: MatterStep = Field(description="request_documents or complete: what the citizen is told of")
    channel: str = Field(description="webhook or mail")
    owed_at: datetime
    sent_at: datetime | None = Field(description="none while it is pending")


class MatterDocumentPublic(BaseModel):
    index: int
    name: Languages
    received: bool


class MatterCasePublic(BaseModel):
    id: int
    number: str = Field(description="办件编号, unique in the hall")
    matter_code: str
    matter_name: Languages
    service: str
    department: str
    ticket_id: int | None
    applicant: str | None = Field(description="the masked ID number")
    phone: str | None = Field(description="the number left for the citizen's notices, masked (138****5678); none "
                                          "once it closes")
    state: MatterState
    promised_days: int = Field(ge=0, le=MAX_DAYS)
    accepted_at: datetime
    accepted_by: str
    accepted_here: str = Field(description="the hall that accepted it (受理地)")
    decided_by: str = Field(description="the level that decides it")
    referred: bool = Field(False, description="accepted here and sent up: its steps come from the level that decides "
                                              "it (县务镇办)")
    origin: str | None = Field(None, description="the hall below that accepted it for this hall to decide")
    origin_number: str | None = Field(None, description="its number there, the one on the citizen's receipt")
    agent: str | None
    documents: list[MatterDocumentPublic]
    due: date | None = Field(description="the promised day as it stands (hall-local); while documents are owed it "
                                         "moves with each working day")
    paused_since: date | None = Field(description="waiting for documents since")
    paused_days: int = Field(description="working days of finished pauses, added to the due day")
    reason: str | None
    closed_at: datetime | None
    late: bool = Field(description="completed after its due day; stays so")
    light: Light | None = Field(description="while open: green, yellow (its deadline near) or red (overdue)")
    notices: list[CitizenNoticePublic] = Field(description="the notices owed to the citizen at the number they "
                                                           "left, per channel, sent or pending")
    steps: list[MatterStepPublic] | None = Field(None, description="its timeline, in GET /matters/{id} and answers "
                                                                  "to steps")

    @classmethod
    def of(cls, case, *, entry: Entry | None, due: date | None, received: list[int], notices=(),
           steps=None) -> MatterCasePublic:
        """From a hall.models.MatterCase, with its citizens' notices: (hall.models.MatterNotice,
        the step it tells of) pairs."""
        name, names = checklist(case, entry) or ({"zh_CN": case.matter_code}, [])
        documents = [MatterDocumentPublic(index=i, name=n, received=i in received) for i, n in enumerate(names)]
        return cls(id=case.id, number=case.number, matter_code=case.matter_code, matter_name=name,
                   service=case.service, department=case.department, ticket_id=case.ticket_id,
                   applicant=case.applicant_masked, phone=case.phone and masked_phone(case.phone),
                   notices=[CitizenNoticePublic(step=step, channel=n.channel, owed_at=n.created_at, sent_at=n.sent_at)
                            for n, step in notices], state=case.state, promised_days=case.promised_days,
                   accepted_at=case.accepted_at, accepted_by=case.accepted_by, accepted_here=case.accepted_here,
                   decided_by=case.decided_by, referred=case.referred, origin=case.origin,
                   origin_number=case.origin_number, agent=case.agent, documents=documents, due=due,
                   paused_since=case.paused_since, paused_days=case.paused_days, reason=case.reason,
                   closed_at=case.closed_at, late=case.late, light=case.light,
                   steps=None if steps is None else [MatterStepPublic(step=s.step, state=s.state, by=s.by, at=s.at,
                                                                    note=s.note, place=s.place) for s in steps])


class MatterProgressPublic(BaseModel):
    """A case as a kiosk shows it to its applicant (a scanned receipt, a placed ID card): its
    state, promised date and the documents still owed; no name, no ID number, no staff."""

    number: str = Field(description="办件编号")
    matter_code: str
    matter_name: Languages
    state: MatterState
    promised_days: int = Field(ge=0, le=MAX_DAYS)
    accepted_on: date = Field(description="hall-local")
    due: date | None = Field(description="the promised day as it stands (hall-local)")
    closed_on: date | None
    late: bool
    owed: list[Languages] = Field(description="the names of the documents not yet received")

    @classmethod
    def of(cls, case, *, entry: Entry | None, due: date | None, received: list[int], zone) -> MatterProgressPublic:
        name, names = checklist(case, entry) or ({"zh_CN": case.matter_code}, [])
        return cls(number=case.number, matter_code=case.matter_code, matter_name=name,
                   state=case.state, promised_days=case.promised_days,
                   accepted_on=case.accepted_at.astimezone(zone).date(), due=due,
                   closed_on=case.closed_at.astimezone(zone).date() if case.closed_at else None, late=case.late,
                   owed=[n for i, n in enumerate(names) if i not in received])


class MatterPersonRequest(Request):
    person_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                             description="HMAC-SHA256 of the ID number under the hall's key for cases "
                                         "(GET /matter-progress/key), made on the kiosk: the number never leaves it")


class MatterKeyPublic(BaseModel):
    key: str = Field(description="hex: the key a kiosk hashes an ID number with to find its cases")


class DocumentPublic(BaseModel):
    name: Languages
    form: str
    copies: int
    electronic: bool
    source: str | None


class MatterPublic(BaseModel):
    """A matter of the catalogue with its guide (办事指南): public, no personal data."""

    code: str
    name: Languages
    service: str
    department: Languages
    kind: str
    category: str
    legal_days: int
    promised_days: int | None
    fees: Languages
    documents: list[DocumentPublic]
    steps: list[Languages]
    basis: str
    conditions: Languages
    place: Languages
    post: str
    person: str
    phone: str
    supervision_phone: str
    agent: bool
    decided_by: str

    @classmethod
    def of(cls, entry: Entry) -> MatterPublic:
        m, d = entry.matter, entry.department
        return cls(code=m.code, name=m.name.model_dump(exclude_none=True), service=m.service,
                   department=d.name.model_dump(exclude_none=True), kind=m.kind, category=m.category,
                   legal_days=m.legal_days, promised_days=m.promised_days, fees=m.fees.model_dump(exclude_none=True),
                   documents=[DocumentPublic(name=x.name.model_dump(exclude_none=True), form=x.form, copies=x.copies,
                                             electronic=x.electronic, source=x.source) for x in m.documents],
                   steps=[s.model_dump(exclude_none=True) for s in m.steps], basis=m.basis,
                   conditions=m.conditions.model_dump(exclude_none=True), place=m.place.model_dump(exclude_none=True),
                   post=m.post, person=m.person, phone=m.phone, supervision_phone=d.supervision_phone,
                   agent=m.agent, decided_by=entry.decided_by)


class ReceiptPrintRequest(Request):
    case_id: int = Field(ge=1, le=MAX_ID, description="the case whose acceptance receipt (受理回执) to print")
    language: Literal[LANGUAGES] = Field("zh_CN", description="the receipt's language")  # type: ignore[valid-type]


class ReceiptJobPublic(BaseModel):
    """A receipt asked for at a counter: its terminal prints it and answers under `job`."""

    job: int = Field(description="the job's id (the id of its receipt_requested event)")
    counter: str
    case_id: int


class ReceiptPrintoutPublic(BaseModel):
    """A receipt as its counter's terminal lays it out for paper (devices.receipt_layout's
    ReceiptPrintout, field for field), already in the language asked for. It names nobody:
    the applicant is at most their masked ID number, among the facts."""

    hall_name: str
    title: str
    number: str
    facts: list[tuple[str, str]] = Field(description="labelled rows: [label, value]")
    lists: list[tuple[str, list[str]]] = Field(description="headed numbered lists: [heading, [items]]")
    qr_payload: str = Field(description="the case's progress link")
    qr_caption: str
    footer: list[str]


class ReceiptProblem(str, Enum):
    """Why a counter's terminal did not print a receipt, in a word the console translates."""

    NO_PRINTER = "no_printer"                    # the terminal has no receipt printer (any longer)
    UNREACHABLE = "printer_unreachable"          # it cannot be opened
    OFFLINE = "printer_offline"                  # offline or silent to status requests
    PAPER_OUT = "paper_out"
    FAILED = "printer_failed"                    # sent, but not known to be printed


class ReceiptOutcomeRequest(Request):
    printed: bool
    problem: ReceiptProblem | None = Field(None, description="why not printed; null when printed")
    paper_low: bool = Field(False, description="printed, but the roll is near its end")
    detail: StoredText = Field("", max_length=500, description="the driver's words, for a technician")

    @model_validator(mode="after")
    def _problem_if_not_printed(self) -> ReceiptOutcomeRequest:
        if self.printed == (self.problem is not None):
            raise ValueError("a receipt printed has no problem, and one not printed names its problem")
        return self


class ReceiptOutcomePublic(BaseModel):
    job: int
    counter: str
    printed: bool
    problem: ReceiptProblem | None
    paper_low: bool
