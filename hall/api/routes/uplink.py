"""What a parent takes from the halls below it (docs/uplink.md): their events, in batches
after the last one stored here, and their hall definitions. Each child hall calls with its
uplink token (python -m hall add-hall); a refusal says why, and writes nothing."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError

from hall.api.deps import HallDep
from hall.api.errors import ApiError
from hall.schemas import Problem
from hall.uplink import receiver
from hall.uplink.wire import DefinitionReceipt, DefinitionUpload, UplinkAck, UplinkBatch

router = APIRouter(prefix="/uplink", tags=["uplink"])
uplink_bearer = HTTPBearer(auto_error=False, scheme_name="UplinkToken",
                           description="a child hall's uplink token (python -m hall add-hall)")


def child_hall(hall: HallDep,
               credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(uplink_bearer)]) -> str:
    if credentials is not None:
        with hall.engine.reading() as session:
            child = receiver.child_for_token(session, token=credentials.credentials)
        if child is not None:
            return child.hall_id
    raise ApiError(401, "unauthorized", "send the hall's uplink token (Authorization: Bearer), as python -m hall "
                                        "add-hall printed it", {"WWW-Authenticate": "Bearer"})


Child = Annotated[str, Depends(child_hall)]
REFUSALS = {
    403: {"model": Problem, "description": "other_hall: the batch is of another hall than the token's, or of a hall "
                                           "this child does not report for; other_region: outside its region"},
    409: {"model": Problem, "description": "gap: the batch follows events never stored here (the header "
                                           "Uplink-Acked says which to send after); conflict: try again"},
}


@router.post("/events", response_model=UplinkAck, responses=REFUSALS,
             summary="A child hall's events after the last one stored here, stored once each")
def receive_events(batch: UplinkBatch, hall: HallDep, child: Child) -> UplinkAck:
    """Events at or below the acknowledged seq are repeats and are absorbed; the answer is
    the highest seq stored, after which the child sends next. An empty batch is a heartbeat.
    A case the child accepted for this hall to decide opens a case here; the answer carries
    the steps taken here on the child's cases after its `steps_after`."""
    return _refusing(lambda session: receiver.receive(session, spec=hall.spec, catalogue=hall.catalogue,
                                                      child_id=child, batch=batch, now=hall.clock(),
                                                      yellow_days=hall.supervision.yellow_days), hall)


@router.put("/definition", response_model=DefinitionReceipt, responses={**REFUSALS, 422: {
    "model": Problem, "description": "bad_definition: the hall definition does not parse, or is another hall's"}},
            summary="A child hall's definition (services, counters, hours), kept as its latest")
def receive_definition(upload: DefinitionUpload, hall: HallDep, child: Child) -> DefinitionReceipt:
    return _refusing(lambda session: receiver.store_definition(session, child_id=child, upload=upload,
                                                               now=hall.clock()), hall)


def _refusing(write, hall):
    try:
        with hall.engine.transaction() as session:
            return write(session)
    except receiver.UplinkRefused as exc:
        headers = {"Uplink-Acked": str(exc.acked)} if exc.acked is not None else None
        raise ApiError(exc.status, exc.error, str(exc), headers) from None
    except IntegrityError:
        # Two children naming one relayed hall for the first time at once: the second tries again.
        raise ApiError(409, "conflict", "another batch changed the same hall at the same time; send it again") \
            from None
