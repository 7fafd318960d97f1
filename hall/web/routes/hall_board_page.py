"""The supervisor's live board (大厅实况): the whole hall at once, live from the staff event
stream, its figures those of GET /api/v1/hall-board. Supervisors and admins only."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from hall.schemas import Role
from hall.web.pages import page, signed_in, texts_for

router = APIRouter(include_in_schema=False)


@router.get("/board")
def hall_board_page(request: Request):
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/console?next=/board", status_code=303)
    texts = texts_for(request)
    if who.role is Role.STAFF:
        return page(request, "message.html", status_code=403, texts=texts, title=texts("board.title"),
                    message=texts("board.supervisors_only"), link="/console", link_text=texts("console.title"))
    spec, language = request.app.state.hall.spec, texts.language
    data = {"texts": texts.section("common", "board", "devices"), "lang": language,
            "services": {s.code: s.name.get(language) for s in spec.services}}
    return page(request, "hall_board.html", texts=texts, who=who, data=data)
