"""A counter's printer (hall.toml: the counter's `printer`): a case's acceptance receipt
(受理回执) printed on it for the citizen at that counter, by its staff or a supervisor. The
server renders the receipt and sends it within a bounded time, off the event loop (a plain
route runs in the thread pool); a counter without a printer is a 409, a printer that cannot
print a 503 naming why. Nothing is written: a request sent again prints another copy."""
from __future__ import annotations

from fastapi import APIRouter, Request

from devices.receipt_layout import render_receipt
from devices.ticket_layout import MAX_QR_PAYLOAD
from hall.api.deps import HallDep, OperatedCounter
from hall.api.errors import ApiError
from hall.matters.case_sheet import case_sheet
from hall.matters.receipt_printout import receipt_printout
from hall.matters.schemas import ReceiptPrintedPublic, ReceiptPrintRequest
from hall.schemas import Problem
from hall.web.i18n import Texts

router = APIRouter(prefix="/counters", tags=["counters"], responses={404: {"model": Problem}})


@router.post("/{counter_id}/printer/receipts", response_model=ReceiptPrintedPublic,
             responses={409: {"model": Problem, "description": "no_printer: hall.toml names no printer for the "
                                                               "counter"},
                        503: {"model": Problem, "description": "printer_unreachable, printer_offline, paper_out, "
                                                               "printer_failed or printer_busy: not printed"}},
             summary="Print a case's acceptance receipt on the counter's printer (its staff, supervisors)")
def print_receipt(counter_id: OperatedCounter, body: ReceiptPrintRequest, request: Request,
                  hall: HallDep) -> ReceiptPrintedPublic:
    today = hall.clock().astimezone(hall.spec.zone).date()
    with hall.engine.reading() as session:
        sheet = case_sheet(session, spec=hall.spec, catalogue=hall.catalogue, case_id=body.case_id, today=today)
    profile = hall.printers.profile(counter_id)
    link = hall.case_link(request, body.case_id)
    if len(link.encode()) > MAX_QR_PAYLOAD:   # made from the request's Host where no --public-url is set
        raise ApiError(422, "invalid", f"the case's progress link would be {len(link.encode())} bytes, more than "
                                       f"the receipt's QR code holds ({MAX_QR_PAYLOAD}): the request's Host header "
                                       "is too long; send the server's own address, or set --public-url")
    printout = receipt_printout(sheet, texts=Texts(body.language), hall_name=hall.spec.hall.name.get(body.language),
                                link=link)
    printed = hall.printers.print_job(counter_id, render_receipt(printout, profile), "receipt")
    return ReceiptPrintedPublic(counter=counter_id, case_id=body.case_id, bytes=printed.bytes_written,
                                paper_low=printed.paper_low)
