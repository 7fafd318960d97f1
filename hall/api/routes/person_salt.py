"""The salt of the person hash, for the hall's kiosks: a kiosk hashes the ID number it read
with it (kiosk.identity.number_hash) and sends only the hash. The hall owns it (derived from
the hall's secret, hall.queue.QueueEngine.person_salt); a kiosk keeps it in memory only."""
from __future__ import annotations

from fastapi import APIRouter, Response

from hall.api.deps import HallDep, Kiosk
from hall.schemas import PersonSaltPublic

router = APIRouter(prefix="/person-salt", tags=["identity"])


@router.get("", response_model=PersonSaltPublic, summary="The key of the person hash (kiosks)")
def person_salt(response: Response, hall: HallDep, _who: Kiosk) -> PersonSaltPublic:
    response.headers["Cache-Control"] = "no-store"
    return PersonSaltPublic(salt=hall.engine.person_salt().hex())
