"""Cases (办件) as a kiosk shows them to their applicant: the case of a scanned receipt (its
QR code holds the signed link of the /m/TOKEN page), or the cases of an ID card placed on
the kiosk, found by the hash of its number under the hall's key for cases, which the kiosk
makes itself: the number never leaves it (docs/privacy.md). Their state, promised date and
the documents still owed; never a name or an ID number."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from hall.api.deps import HallDep, Kiosk
from hall.api.server import HallServer
from hall.matters import cases
from hall.matters.schemas import MatterKeyPublic, MatterPersonRequest, MatterProgressPublic
from hall.schemas import Problem

router = APIRouter(prefix="/matter-progress", tags=["matter progress"])


@router.get("/key", response_model=MatterKeyPublic, summary="The key of the ID card's hash for cases (kiosks)")
def key(response: Response, hall: HallDep, _who: Kiosk) -> MatterKeyPublic:
    response.headers["Cache-Control"] = "no-store"
    return MatterKeyPublic(key=hall.person_keys.for_matters().hex())


@router.get("/by-link/{token}", response_model=MatterProgressPublic, responses={404: {"model": Problem}},
            summary="The case of a scanned receipt's progress link (kiosks); 404 for a forged or unknown one")
def by_link(token: Annotated[str, Path(min_length=1, max_length=cases.MAX_TOKEN)], hall: HallDep,
            _who: Kiosk) -> MatterProgressPublic:
    with hall.engine.reading() as session:
        case = cases.case_by_token(session, spec=hall.spec, signer=hall.signer, token=token)
        return progress(hall, case)


@router.post("/of-person", response_model=list[MatterProgressPublic],
             summary="The cases of the ID card whose hash is given, the latest first (kiosks)")
def of_person(body: MatterPersonRequest, hall: HallDep, _who: Kiosk) -> list[MatterProgressPublic]:
    with hall.engine.reading() as session:
        return [progress(hall, case) for case in cases.cases_of_person(session, spec=hall.spec,
                                                                        person_hash=body.person_hash)]


def progress(hall: HallServer, case) -> MatterProgressPublic:
    today = hall.clock().astimezone(hall.spec.zone).date()
    return MatterProgressPublic.of(case, entry=hall.catalogue.entry(case.matter_code),
                                   due=cases.due_now(case, spec=hall.spec, today=today),
                                   received=cases.received(case), zone=hall.spec.zone)
