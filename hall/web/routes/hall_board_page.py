"""The supervisor's live board (大厅实况): the whole hall at once, live from the staff event
stream, its figures those of GET /api/v1/hall-board. Supervisors and admins only."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.web.pages import page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)


@router.get("/board")
def hall_board_page(request: Request):
    who, texts = signed_in(request), texts_for(request)
    if (refused := unless_supervisor(request, who, texts, "board")) is not None:
        return refused
    spec, language = request.app.state.hall.spec, texts.language
    data = {"texts": texts.section("common", "board", "devices"), "lang": language,
            "services": {s.code: s.name.get(language) for s in spec.services}}
    return page(request, "hall_board.html", texts=texts, who=who, data=data)
