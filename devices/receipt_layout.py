"""A case's acceptance receipt (受理回执) as ESC/POS bytes, for a counter's printer: the
ticket's text mode in the profile's encoding (GB18030 after ``FS &``) and its native QR code,
built from the same blocks (devices.ticket_layout), so both read alike and stay as small.

A receipt is longer than a ticket (every document received is on it) but as bounded: each
text is clipped to a few lines and each list to the catalogue's most documents a matter has,
so the whole job stays under MAX_RECEIPT_BYTES and the driver's write timeout holds for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices import escpos_commands as cmd
from devices.printer_profiles import PrinterProfile
from devices.ticket_layout import (MAX_LINES, clip_lines, closing, detail_lines, job_start, printable, text_columns,
                                   wrap_columns, wrapped_lines)


@dataclass(frozen=True)
class ReceiptPrintout:
    """Everything printed on a receipt, already in one language. It names nobody: the
    applicant is at most their masked ID number, among the ``facts``."""

    hall_name: str
    title: str                                        # 受理回执
    number: str                                       # the case's number, printed large
    facts: tuple[tuple[str, str], ...]                # labelled rows: matter, accepted, by, due, ...
    lists: tuple[tuple[str, tuple[str, ...]], ...]    # headed numbered lists: the documents received, owed
    qr_payload: str
    qr_caption: str
    footer: tuple[str, ...] = ()


MAX_FACTS = 8
MAX_ITEMS = 30            # in all lists: the catalogue's most documents a matter has (hall.matters.catalogue)
MAX_ITEM_LINES = 2
MAX_RECEIPT_BYTES = 16384  # with every text at its limit in four-byte GB18030 characters


def _item_lines(number: int, text: str, columns: int, encoding: str) -> bytes:
    """One numbered item, its continuation lines under its text rather than its number."""
    head = f"{number}. "
    lines = wrap_columns(head + printable(text).strip(), columns, indent=text_columns(head, encoding),
                         encoding=encoding)
    return b"".join(line.encode(encoding, errors="replace") + cmd.LF
                    for line in clip_lines(lines, MAX_ITEM_LINES, columns, encoding))


def render_receipt(printout: ReceiptPrintout, profile: PrinterProfile) -> bytes:
    """The complete print job for one receipt, ready for a single raw write.

    Layout: the hall's name in bold, the title and the case's number at double size, the
    facts, each list under its bold heading, the QR code and its caption, the footer, then
    feed and cut.
    """
    enc = profile.encoding
    columns = profile.columns
    out = bytearray(job_start(profile))
    hall = wrapped_lines(printout.hall_name, columns, MAX_LINES["hall"], enc)
    if hall:
        out += cmd.BOLD_ON + hall + cmd.BOLD_OFF
    out += cmd.SIZE_DOUBLE + wrapped_lines(printout.title, columns // 2, 1, enc)
    out += wrapped_lines(printout.number, columns // 2, 1, enc) + cmd.SIZE_NORMAL

    out += cmd.LF + cmd.ALIGN_LEFT
    for label, value in printout.facts[:MAX_FACTS]:
        out += detail_lines(label, value, columns, MAX_LINES["detail"], enc)
    room = MAX_ITEMS
    for heading, items in printout.lists:
        items = items[:room]
        if not items:
            continue
        room -= len(items)
        out += cmd.BOLD_ON + wrapped_lines(heading, columns, 1, enc) + cmd.BOLD_OFF
        for number, item in enumerate(items, 1):
            out += _item_lines(number, item, columns, enc)
    out += cmd.ALIGN_CENTER

    out += closing(printout.qr_payload, printout.qr_caption, printout.footer, profile)
    assert len(out) <= MAX_RECEIPT_BYTES, len(out)  # the limits above guarantee it
    return bytes(out)
