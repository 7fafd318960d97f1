from __future__ import annotations

from fastapi import APIRouter

from hall.api.deps import Anyone, HallDep
from hall.spec import HallSpec

router = APIRouter(prefix="/hall", tags=["hall"])


@router.get("", response_model=HallSpec, summary="The hall's definition: name, hours, services, counters")
def hall_definition(hall: HallDep, _who: Anyone) -> HallSpec:
    return hall.spec
