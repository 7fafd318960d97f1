"""The hall's catalogue of matters with their guides (办事指南), for its terminals and staff;
the same is public on the guides pages (hall.web)."""
from __future__ import annotations

from fastapi import APIRouter

from hall.api.deps import HallDep, Watcher
from hall.matters.schemas import MatterPublic

router = APIRouter(prefix="/catalogue", tags=["catalogue"])


@router.get("", response_model=list[MatterPublic], summary="The matters of the hall's catalogue, by service")
def catalogue(hall: HallDep, _who: Watcher) -> list[MatterPublic]:
    return [MatterPublic.of(entry) for entry in sorted(hall.catalogue.entries, key=lambda e: e.matter.service)]
