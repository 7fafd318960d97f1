"""What a case's pages and its printed receipt show of it (办件): the case, its matter's
catalogue entry, its due day as it stands, the hall-local day it was accepted, and the
documents received and owed. Read in one place, so that the receipt on paper says what the
one in the browser says."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hall.matters import cases
from hall.matters.catalogue import Catalogue, Document, Entry
from hall.models import MatterCase
from hall.spec import HallSpec


@dataclass(frozen=True)
class CaseSheet:
    case: MatterCase
    entry: Entry | None             # None once its matter left the catalogue
    due: date | None
    accepted_day: date
    received: list[Document]
    owed: list[Document]


def case_sheet(session: Session, *, spec: HallSpec, catalogue: Catalogue, case_id: int, today: date) -> CaseSheet:
    """The sheet of this hall's case `case_id`; MatterRefused (not_found) for another's or none."""
    case = cases.one_case(session, spec=spec, case_id=case_id)
    entry = catalogue.entry(case.matter_code)
    received = cases.received(case)
    documents = list(enumerate(entry.matter.documents)) if entry else []
    return CaseSheet(case=case, entry=entry, due=cases.due_now(case, spec=spec, today=today),
                     accepted_day=case.accepted_at.astimezone(spec.zone).date(),
                     received=[d for i, d in documents if i in received],
                     owed=[d for i, d in documents if i not in received])
