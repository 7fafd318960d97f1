"""A case's pages (办件): its progress for the citizen, opened from the receipt's QR code
(/m/TOKEN, signed by the hall: no case can be guessed) and showing its state, the promised
date and the documents still owed, never a name or an ID number; and its acceptance receipt
(受理回执) for the staff member to print from the browser (a print stylesheet), with that QR,
or on their counter's receipt printer where its terminal has reported one (the page's script
asks the API, and hears the terminal's answer on the live events)."""
from __future__ import annotations

from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Path, Request
from markupsafe import Markup

from hall.matters import cases, receipt_jobs
from hall.matters.case_sheet import case_sheet
from hall.matters.states import MatterRefused
from hall.models import MAX_ID
from hall.web.pages import page, signed_in, texts_for, to_log_in

router = APIRouter(include_in_schema=False)


@router.get("/m/{token}")
def progress(request: Request, token: Annotated[str, Path(max_length=80)]):
    hall = request.app.state.hall
    texts = texts_for(request)
    with hall.engine.reading() as session:
        try:
            case_id = cases.case_by_token(session, spec=hall.spec, signer=hall.signer, token=token).id
        except MatterRefused:
            case_id = None
    found = _case(hall, case_id) if case_id is not None else None
    if found is None:
        return page(request, "message.html", status_code=404, texts=texts, title=texts("progress.missing"),
                    message=texts("progress.missing"))
    return page(request, "progress.html", texts=texts, **found)


@router.get("/console/matters/{case_id}/receipt")
def receipt(request: Request, case_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    who = signed_in(request)
    if who is None:
        return to_log_in(request)
    hall = request.app.state.hall
    texts = texts_for(request)
    found = _case(hall, case_id)
    if found is None:
        return page(request, "message.html", status_code=404, texts=texts, title=texts("progress.missing"),
                    message=texts("progress.missing"))
    link = hall.case_link(request, case_id)
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    # The counters of this session whose terminal has a receipt printer.
    with hall.engine.reading() as session:
        equipped = receipt_jobs.printer_counters(session, hall_id=hall.hall_id)
    printers = [c for c in who.counters if c in equipped]
    data = {"texts": texts.section("common", "receipt"), "lang": texts.language, "case_id": case_id,
            "counters": printers}
    return page(request, "receipt.html", texts=texts, link=link, qr=Markup(image.to_string(encoding="unicode")),
                data=data, **found)


def _case(hall, case_id: int) -> dict | None:
    """What its pages show of the case (hall.matters.case_sheet), or None if this hall has no
    such case."""
    today = hall.clock().astimezone(hall.spec.zone).date()
    with hall.engine.reading() as session:
        try:
            sheet = case_sheet(session, spec=hall.spec, catalogue=hall.catalogue, case_id=case_id, today=today)
        except MatterRefused:
            return None
    return vars(sheet)
