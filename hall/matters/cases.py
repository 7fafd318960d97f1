"""Cases of the catalogue's matters (办件): accepted at a counter for the ticket being served
or for a walk-in, numbered per hall and day, then moved step by step (hall.matters.states)
to their end. Each step is a row of the case's timeline and an event in the hall's log,
with who took it and when, written in the transaction of the change; a step that does not
follow is refused before anything is written.

A case of a matter the parent decides (hall.matters.referrals) is written with an event that
carries it up; it then takes its steps from the parent alone, each with the hall it was
taken at.

A citizen who left a phone number is owed a notice when documents are asked for and when
the case is completed: written into the outbox of hall.matters.notices with the step, one
per channel that tells citizens, the number copied into it. The case's number is removed in
the transaction that closes it.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall import events
from hall.db import order_commits
from hall.errors import InvalidInput
from hall.matters import deadlines
from hall.matters.applicants import Applicant
from hall.matters.catalogue import Catalogue, Entry
from hall.matters.states import (CLOSED_STATES, DECIDING_ONLY, OPEN_STATES, REASONED, STEPS, Light, MatterRefusal,
                                 MatterRefused, MatterState, MatterStep)
from hall.models import MAX_ID, MatterCase, MatterCaseStep, MatterNotice, MatterSequence, Ticket
from hall.signing import BadSignature, Signer
from hall.spec import HallSpec
from hall.tickets import EventKind

NOTE_LENGTH = 500
CITIZEN_TOLD = (MatterStep.REQUEST_DOCUMENTS, MatterStep.COMPLETE)  # the steps a citizen with a number is told of
LINK_PURPOSE = "matter"  # the signer's purpose of a case's progress link (/m/TOKEN, the receipt's QR code)
MAX_TOKEN = 80
PERSON_CASES = 20  # the most a citizen's card lists
_sequences = MatterSequence.__table__
_BUMP = (update(_sequences).where(_sequences.c.hall_id == bindparam("hall"), _sequences.c.day == bindparam("today"))
         .values(last_seq=_sequences.c.last_seq + 1))
_LAST = select(_sequences.c.last_seq).where(_sequences.c.hall_id == bindparam("hall"),
                                            _sequences.c.day == bindparam("today"))


def open_case(session: Session, *, spec: HallSpec, catalogue: Catalogue, code: str, job_no: str, now: datetime,
              ticket_id: int | None = None, applicant: Applicant | None = None, documents: list[int] = (),
              agent: str | None = None, refused_reason: str | None = None, yellow_days: int = 1,
              phone: str | None = None) -> MatterCase:
    """Accepts a case of the matter `code` (受理), or records that it was not accepted (不予受理)
    when `refused_reason` is given; either way it gets its number. The citizen's `phone`
    (national digits) is kept while the case is open: not at all for one not accepted. The
    event log's lock comes first, as for every writer of events."""
    order_commits(session)
    entry = catalogue.entry(code)
    if entry is None:
        raise MatterRefused(MatterRefusal.UNKNOWN_MATTER, f"no matter {code!r} in this hall's catalogue")
    if ticket_id is not None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.hall_id != spec.hall.id:
            raise MatterRefused(MatterRefusal.UNKNOWN_TICKET, f"no ticket {ticket_id} in hall {spec.hall.id!r}")
    if agent is not None and not entry.matter.agent:
        raise MatterRefused(MatterRefusal.AGENT_NOT_OFFERED,
                          f"{entry.matter.name.zh_CN} ({code}) is not carried by the hall's agents (全程代办)")
    received = _documents(code, len(entry.matter.documents), documents)
    refused = refused_reason is not None
    if refused:
        _reason(refused_reason)
    today = now.astimezone(spec.zone).date()
    state = MatterState.NOT_ACCEPTED if refused else MatterState.ACCEPTED
    case = MatterCase(
        hall_id=spec.hall.id, number=next_number(session, hall_id=spec.hall.id, day=today), matter_code=code,
        service=entry.matter.service, department=entry.department.name.zh_CN, ticket_id=ticket_id,
        applicant_masked=applicant.masked if applicant else None, phone=None if refused else phone,
        person_hash=applicant.person_hash if applicant else None, state=state.value,
        promised_days=entry.matter.days, accepted_at=now, accepted_by=job_no,
        accepted_here=spec.hall.name.zh_CN, decided_by=entry.decided_by, agent=agent,
        documents=",".join(map(str, received)), paused_days=0, late=False,
        due=None if refused else deadlines.due_day(spec.hours, accepted=today, promised_days=entry.matter.days),
        reason=refused_reason.strip() if refused else None, closed_at=now if refused else None)
    if not refused:
        case.light = deadlines.light_on(spec.hours, due=case.due, today=today, yellow_days=yellow_days).value
    case.referred = entry.decided_above and not refused
    session.add(case)
    session.flush()
    record_step(session, spec=spec, case=case, step="open", note=case.reason or "", by=job_no, now=now)
    if case.referred:
        events.append(session, hall_id=spec.hall.id, kind=EventKind.MATTER_REFERRED, at=now, ticket_id=ticket_id,
                      payload=_referral(case, entry))
    return case


def take_step(session: Session, *, spec: HallSpec, catalogue: Catalogue, case_id: int, step: MatterStep,
              job_no: str, now: datetime, note: str = "", documents: list[int] = (),
              citizen_channels: list[str] = (), progress: str = "", place: str | None = None) -> MatterCase:
    """Moves the case on by one step if it follows from its state (states.STEPS). Asking for
    documents stops its clock; their coming (resume) adds the paused working days to its due
    day; returning needs the reason in `note`; completing after the due day marks it late
    for good. A citizen who left a number is owed a notice of asking and completing by each
    of `citizen_channels`, pointing to `progress`, the address of the case's progress page.
    A case sent up takes only the parent's steps, taken at the hall named `place`."""
    if not isinstance(note, str) or len(note) > NOTE_LENGTH:
        raise InvalidInput("note", f"at most {NOTE_LENGTH} characters")
    order_commits(session)
    case = _case(session, spec=spec, case_id=case_id, lock=True)
    if case.referred and place is None:
        raise MatterRefused(MatterRefusal.DECIDED_ABOVE,
                            f"case {case.number} is decided by {case.decided_by}: its steps come from there")
    state, step = MatterState(case.state), MatterStep(step)
    from_below = case.origin is not None or place is not None   # decided here, or applied from where it was
    after = STEPS.get((state, step)) if from_below or step not in DECIDING_ONLY else None
    if after is None:
        allowed = [s.value for (st, s) in STEPS if st is state and (from_below or s not in DECIDING_ONLY)]
        raise MatterRefused(MatterRefusal.STEP_NOT_ALLOWED,
                          f"case {case.number} is {state.value}: {step.value} does not follow; "
                          f"{', '.join(allowed) or 'it is closed'}")
    if step in REASONED:
        _reason(note)
        case.reason = note.strip()
    if documents:
        names = checklist(case, catalogue.entry(case.matter_code))
        if names is None:
            raise MatterRefused(MatterRefusal.UNKNOWN_MATTER, f"matter {case.matter_code!r} left the catalogue")
        case.documents = ",".join(map(str, sorted(set(received(case)) | set(
            _documents(case.matter_code, len(names[1]), documents)))))
    today = now.astimezone(spec.zone).date()
    if step is MatterStep.REQUEST_DOCUMENTS:
        case.paused_since = today
    elif step is MatterStep.RESUME:
        case.paused_days += deadlines.working_days_after(spec.hours, case.paused_since, today)
        case.paused_since = None
        case.due = deadlines.due_day(spec.hours, accepted=case.accepted_at.astimezone(spec.zone).date(),
                                     promised_days=case.promised_days, paused_days=case.paused_days)
    case.state = after.value
    if after in CLOSED_STATES:
        case.closed_at = now
        case.late = after is MatterState.COMPLETED and today > case.due
        case.light = None
        case.paused_since = None
    taken = record_step(session, spec=spec, case=case, step=step.value, note=note.strip(), by=job_no, now=now,
                        place=place)
    if step in CITIZEN_TOLD and case.phone is not None:
        session.flush()
        for channel in citizen_channels:
            session.add(MatterNotice(hall_id=case.hall_id, matter_id=case.id, step_id=taken.id, phone=case.phone,
                                     progress=progress, channel=channel, created_at=now, attempts=0,
                                     next_try_at=now, last_error=""))
    if after in CLOSED_STATES:
        case.phone = None
    return case


def received(case: MatterCase) -> list[int]:
    """The indexes of the catalogue's documents received for the case."""
    return [int(i) for i in case.documents.split(",") if i]


def one_case(session: Session, *, spec: HallSpec, case_id: int) -> MatterCase:
    return _case(session, spec=spec, case_id=case_id)


def timeline(session: Session, *, case: MatterCase) -> list[MatterCaseStep]:
    steps = select(MatterCaseStep).where(MatterCaseStep.matter_id == case.id).order_by(MatterCaseStep.id)
    return list(session.scalars(steps))


def cases(session: Session, *, spec: HallSpec, state: MatterState | None = None, light: Light | None = None,
          department: str | None = None, staff: str | None = None, open_only: bool = False,
          closed_on: date | None = None, from_below: bool = False, limit: int = 100) -> list[MatterCase]:
    """Cases, the soonest due first among open ones, then the latest accepted; `closed_on`: those
    closed on that hall-local day; `from_below`: those accepted at halls below for this one."""
    query = select(MatterCase).where(MatterCase.hall_id == spec.hall.id)
    if state is not None:
        query = query.where(MatterCase.state == state.value)
    if light is not None:
        query = query.where(MatterCase.light == light.value)
    if department is not None:
        query = query.where(MatterCase.department == department)
    if staff is not None:
        query = query.where(MatterCase.accepted_by == staff)
    if open_only:   # closed_at, always set on closing, is what the open cases' partial index holds
        query = query.where(MatterCase.state.in_([s.value for s in OPEN_STATES]), MatterCase.closed_at.is_(None))
    if from_below:
        query = query.where(MatterCase.origin.is_not(None))
    if closed_on is not None:
        start = datetime.combine(closed_on, time(), tzinfo=spec.zone)
        query = query.where(MatterCase.closed_at >= start, MatterCase.closed_at < start + timedelta(days=1))
    order = (MatterCase.closed_at.is_not(None), MatterCase.due, MatterCase.accepted_at.desc(), MatterCase.id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


def case_by_token(session: Session, *, spec: HallSpec, signer: Signer, token: str) -> MatterCase:
    """The case a progress link's token names; MatterRefused (not_found) for a token this
    hall did not sign, forged, or of a case it no longer has."""
    try:
        case_id = int(signer.verify(LINK_PURPOSE, token)) if len(token) <= MAX_TOKEN else None
    except (BadSignature, ValueError):
        case_id = None
    if case_id is None or not 1 <= case_id <= MAX_ID:
        raise MatterRefused(MatterRefusal.NOT_FOUND, "no case of this hall has this progress link")
    return _case(session, spec=spec, case_id=case_id)


def cases_of_person(session: Session, *, spec: HallSpec, person_hash: str) -> list[MatterCase]:
    """The cases whose applicant's lookup hash is `person_hash`, the latest first: the open
    ones and those closed within the last 90 days (older ones have lost their hash)."""
    query = (select(MatterCase).where(MatterCase.hall_id == spec.hall.id, MatterCase.person_hash == person_hash)
             .order_by(MatterCase.accepted_at.desc(), MatterCase.id.desc()).limit(PERSON_CASES))
    return list(session.scalars(query))


def due_now(case: MatterCase, *, spec: HallSpec, today: date) -> date | None:
    """The due day as it stands today: while the case waits for documents, its clock stands
    still, so the working days of the pause so far are added."""
    if case.due is None or case.paused_since is None:
        return case.due
    return deadlines.due_day(spec.hours, accepted=case.accepted_at.astimezone(spec.zone).date(),
                             promised_days=case.promised_days,
                             paused_days=case.paused_days + deadlines.working_days_after(
                                 spec.hours, case.paused_since, today))


def next_number(session: Session, *, hall_id: str, day: date) -> str:
    """YYYYMMDD-NNNN: the day's next number, the day's row locked until commit (SQLite is
    locked whole by BEGIN IMMEDIATE; on PostgreSQL the first two of a day meet at the key)."""
    key = {"hall": hall_id, "today": day}
    if session.execute(_BUMP, key).rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(_sequences.insert(), {"hall_id": hall_id, "day": day, "last_seq": 1})
            return f"{day:%Y%m%d}-0001"
        except IntegrityError:
            session.execute(_BUMP, key)
    return f"{day:%Y%m%d}-{session.scalar(_LAST, key):04d}"


def checklist(case: MatterCase, entry: Entry | None) -> tuple[dict[str, str], list[dict[str, str]]] | None:
    """The matter's names and its documents' names, in the order their indexes count: for a
    case accepted below, as the accepting hall's catalogue gave them (its indexes are that
    hall's); else from this hall's catalogue; None for a matter that left it."""
    if case.carried is not None:
        carried = json.loads(case.carried)
        return carried["name"], carried["documents"]
    if entry is None:
        return None
    return (entry.matter.name.model_dump(exclude_none=True),
            [d.name.model_dump(exclude_none=True) for d in entry.matter.documents])


def _documents(code: str, count: int, documents) -> list[int]:
    for index in documents:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise MatterRefused(MatterRefusal.UNKNOWN_DOCUMENT,
                              f"document {index!r}: {code} lists documents 0 to {count - 1}")
    return sorted(set(documents))


def _referral(case: MatterCase, entry: Entry) -> dict:
    """What the parent needs to work on the case, and no more (hall.uplink.wire keeps only
    these): the matter, its checklist, the number, the promise and the masked ID at most."""
    names, documents = checklist(case, entry)
    return {"matter": {"id": case.id, "number": case.number, "code": case.matter_code, "name": names,
                       "service": case.service, "department": case.department, "decided_by": case.decided_by,
                       "promised_days": case.promised_days, "due": case.due.isoformat(),
                       "applicant": case.applicant_masked, "documents": documents, "received": received(case)}}


def _reason(text: str | None) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > NOTE_LENGTH:
        raise MatterRefused(MatterRefusal.REASON_REQUIRED,
                          f"not accepting or returning a case needs its reason, 1 to {NOTE_LENGTH} characters")


def _case(session: Session, *, spec: HallSpec, case_id: int, lock: bool = False) -> MatterCase:
    case = session.get(MatterCase, case_id, with_for_update=lock) if isinstance(case_id, int) else None
    if case is None or case.hall_id != spec.hall.id:
        raise MatterRefused(MatterRefusal.NOT_FOUND, f"no case {case_id!r} in hall {spec.hall.id!r}")
    return case


def record_step(session: Session, *, spec: HallSpec, case: MatterCase, step: str, note: str, by: str | None,
                now: datetime, place: str | None = None) -> MatterCaseStep:
    taken = MatterCaseStep(matter_id=case.id, step=step, state=case.state, by=by, at=now, note=note, place=place)
    session.add(taken)
    events.append(session, hall_id=spec.hall.id, kind=EventKind.MATTER_STEP, at=now, ticket_id=case.ticket_id,
                  payload={"matter": {"id": case.id, "number": case.number, "code": case.matter_code,
                                      "service": case.service, "step": step, "state": case.state, "by": by,
                                      "due": case.due.isoformat() if case.due else None, "light": case.light}})
    return taken
