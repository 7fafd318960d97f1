"""Today's key of the person hash, for the hall's kiosks: a kiosk hashes the ID number it
read with it (kiosk.identity.number_hash) and sends only the hash. Only today's is given:
the hall's key stays in its key file, and the keys of other days cannot be asked for nor
worked out from this one (hall.person_keys). A kiosk uses it for the card it read and keeps
it nowhere."""
from __future__ import annotations

from fastapi import APIRouter, Response

from hall.api.deps import HallDep, Kiosk
from hall.schemas import PersonSaltPublic

router = APIRouter(prefix="/person-salt", tags=["identity"])


@router.get("", response_model=PersonSaltPublic, summary="Today's key of the person hash (kiosks)")
def person_salt(response: Response, hall: HallDep, _who: Kiosk) -> PersonSaltPublic:
    response.headers["Cache-Control"] = "no-store"
    day, key = hall.person_keys.today(hall.clock())
    return PersonSaltPublic(salt=key.hex(), day=day)
