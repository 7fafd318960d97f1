"""The ratings of a period as a table for the provincial 好差评 platform: one row per rating,
the columns under the field names of the national 好差评 data exchange (docs/ratings.md,
Export), written as CSV (UTF-8 with a BOM, which Excel needs to read Chinese) or XLSX.

Rows are read page by page (by rating id), so a month of a large hall never sits in memory
whole; an XLSX sheet holds at most 1,048,576 rows, a larger period is refused.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall.errors import InvalidInput
from hall.models import Rating
from hall.ratings import records
from hall.ratings.terms import Channel
from hall.spec import HallSpec

PAGE = 5000
XLSX_MAX_ROWS = 1_048_575   # a sheet's rows, less the header
BOM = "\ufeff"
# 评价渠道 (pf) of the exchange: 2 mobile (the ticket's QR page), 3 the counter's rating device,
# 4 a self-service terminal, 6 a telephone call-back.
PLATFORM_CHANNELS = {Channel.COUNTER: "3", Channel.KEYPAD: "3", Channel.PHONE_PAGE: "2", Channel.KIOSK: "4",
                     Channel.CALLBACK: "6"}
FIELDS = ("projectNo", "taskCode", "taskName", "deptName", "windowNo", "handleUserCode", "alternate",
          "appraisald", "writingEvaluation", "pf", "assessTime", "isRealName", "appealUpheld")
# A text starting with one of these is read as a formula by a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def count(session: Session, *, spec: HallSpec, start: date, end: date) -> int:
    return session.scalar(select(func.count()).select_from(Rating)
                          .where(Rating.hall_id == spec.hall.id, Rating.day >= start, Rating.day <= end)) or 0


def rows(reading, *, spec: HallSpec, start: date, end: date) -> Iterator[tuple]:
    """The rows in rating order; `reading()` opens a reading transaction, one per page."""
    after = 0
    while True:
        with reading() as session:
            page = records.ratings(session, spec=spec, start=start, end=end, after=after, limit=PAGE)
        for record in page:
            yield row(record, spec=spec)
        if len(page) < PAGE:
            return
        after = page[-1].rating.id


def row(record: records.RatingRecord, *, spec: HallSpec) -> tuple:
    r = record.rating
    service = spec.service(r.service)
    return (f"{spec.hall.id}-{record.day:%Y%m%d}-{record.number}", r.service,
            service.name.zh_CN if service else r.service, r.department, r.counter, r.staff_job_no or "",
            r.level, "；".join(_reason_name(spec, c) for c in records.split_reasons(r.reasons)), r.comment,
            PLATFORM_CHANNELS[Channel(r.channel)], r.rated_at.astimezone(spec.zone).strftime("%Y-%m-%d %H:%M:%S"),
            int(r.identified), int(r.set_aside))


def _reason_name(spec: HallSpec, code: str) -> str:
    """A reason since removed from hall.toml keeps its code."""
    reason = spec.ratings.reason(code)
    return reason.name.zh_CN if reason else code


def csv_chunks(table: Iterator[tuple]) -> Iterator[bytes]:
    """The CSV file in pieces: the BOM and the header first, then some hundred rows a piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(FIELDS)
    for n, values in enumerate(table, 1):
        writer.writerow([_inert(v) for v in values])
        if n % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _inert(value):
    """A text a spreadsheet would run as a formula starts with an apostrophe, as OWASP advises."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_xlsx(table: Iterator[tuple], out: IO[bytes], *, title: str) -> None:
    """Every text cell is written as text, never as a formula, whatever it starts with."""
    from openpyxl import Workbook  # the server's alone: the engine never needs it
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(FIELDS)
    for values in table:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    book.save(out)


def check_xlsx_size(rows_: int) -> None:
    if rows_ > XLSX_MAX_ROWS:
        raise InvalidInput("end", f"the period holds {rows_} ratings, more than an XLSX sheet's {XLSX_MAX_ROWS}: "
                                  "ask for a shorter period, or for CSV")
