from __future__ import annotations

from fastapi import APIRouter

from hall.api.deps import Anyone, HallDep
from hall.schemas import ServiceStatusPublic

router = APIRouter(prefix="/services", tags=["services"])


@router.get("", response_model=list[ServiceStatusPublic],
            summary="Every service's queue and whether it issues tickets now, in the hall's order")
def services_status(hall: HallDep, _who: Anyone) -> list[ServiceStatusPublic]:
    return [ServiceStatusPublic.of(s) for s in hall.engine.services_status()]
