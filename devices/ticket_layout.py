"""The queue ticket as ESC/POS bytes: text mode in GB18030 plus a native QR code.

Built directly from the named constants in :mod:`devices.escpos_commands` rather than through
python-escpos' ``Dummy`` printer, because:

- every text byte must be the profile's encoding sent after ``FS &``; python-escpos' ``text()``
  goes through ``MagicEncode``, which sends GB18030 only for strings holding U+4E00-U+9FA5,
  never sends ``FS &`` and routes full-width punctuation and ``¥`` through code pages;
- its ``set()`` resends ``ESC ! 0`` before every size change and ``cut()`` always feeds six
  lines: bytes that cost transfer time at 9600 baud;
- importing python-escpos costs about 0.6 s (Pillow, qrcode, barcode), paid by every screen
  test that only wants to compare a rendered number.

A test checks our QR and cut bytes against python-escpos' own ``qr(native=True)`` output.
The whole ticket is built in memory so the driver can send it in one write.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from devices import escpos_commands as cmd
from devices.printer_profiles import PrinterProfile


@dataclass(frozen=True)
class TicketPrintout:
    """Everything printed on a queue ticket, already translated into the citizen's language."""

    hall_name: str
    number: str
    service: str
    details: tuple[tuple[str, str], ...]
    qr_payload: str
    qr_caption: str
    footer: tuple[str, ...] = ()
    tag: str | None = None


# A ticket's size is bounded whatever its texts (names and translations have no maximum), so
# that its transfer time, and the driver's write timeout, are bounded too: each text is
# clipped to a few lines, ending in "…", and there are at most so many rows.
MAX_LINES = {"hall": 2, "service": 2, "detail": 4, "caption": 3, "footer": 3}
MAX_DETAILS = 8
MAX_FOOTER_LINES = 4
MAX_QR_PAYLOAD = 512  # bytes: a hall's progress URL and a ticket code, with room to spare
MAX_TICKET_BYTES = 4096
ELLIPSIS = "…"

# A line may not start with closing punctuation (the usual Chinese line-breaking rule): the
# character before it moves down with it.
_NO_LINE_START = frozenset("，。、：；！？）》」』】〕…·,.:;!?)]}%")
# ASCII words and URLs are kept together where they fit; everything else breaks per character.
_TOKENS = re.compile(r"[!-~]+|\s|.", re.DOTALL)


def text_columns(text: str, encoding: str = "gb18030") -> int:
    """Printed width in half-width cells, as a Chinese-mode printer counts it.

    The printer decides by bytes, not by Unicode width: a single byte is an alphanumeric
    character (one cell), a multi-byte GB18030 sequence a Kanji-mode character (two cells).
    That also makes ``¥``, ``：`` and Greek letters two cells, which East Asian Width tables
    would not.
    """
    return sum(1 if len(ch.encode(encoding, errors="replace")) == 1 else 2 for ch in text)


def printable(text: str) -> str:
    """The text with control and line-separator characters made spaces.

    A hall name or translated string holding ESC, GS or a newline would otherwise reach the
    printer as a command or break the layout.
    """
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") else ch for ch in text
    )


def wrap_columns(text: str, width: int, *, indent: int = 0, encoding: str = "gb18030") -> list[str]:
    """Break text into lines of at most ``width`` cells, continuation lines indented.

    Breaks at spaces between ASCII words where it can and anywhere between Chinese
    characters; a space at a break is dropped, nothing else is.
    """
    if indent >= width:
        indent = 0
    lines: list[str] = []
    line: list[str] = []
    used = 0
    room = width

    def break_line() -> None:
        nonlocal line, used, room
        lines.append("".join(line).rstrip())
        line, used, room = [], 0, width - indent

    def pull_back_for(char: str) -> None:
        """Move the last character down so ``char`` (closing punctuation) does not start a line."""
        nonlocal used
        carried: list[str] = []
        if len(line) > 1 and not line[-1].isspace() and len(line[-1]) == 1:
            carried = [line.pop()]
        break_line()
        for ch in carried:
            line.append(ch)
            used += text_columns(ch, encoding)

    for token in _TOKENS.findall(text):
        cols = text_columns(token, encoding)
        if token.isspace():
            if not line:
                continue
            if used + cols > room:
                break_line()
                continue
            line.append(token)
            used += cols
            continue
        if used + cols <= room:
            line.append(token)
            used += cols
            continue
        if cols <= width - indent and len(token) > 1:
            break_line()
            line.append(token)
            used = cols
            continue
        for ch in token:
            ch_cols = text_columns(ch, encoding)
            if used + ch_cols > room and line:
                if ch in _NO_LINE_START:
                    pull_back_for(ch)
                else:
                    break_line()
            line.append(ch)
            used += ch_cols
    if line or not lines:
        lines.append("".join(line).rstrip())
    return [(" " * indent + ln) if i and ln else ln for i, ln in enumerate(lines)]


def clip_lines(lines: list[str], max_lines: int, width: int, encoding: str = "gb18030") -> list[str]:
    """At most ``max_lines`` lines, the last ending in "…" when text was left out."""
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1].rstrip()
    while last and text_columns(last + ELLIPSIS, encoding) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last + ELLIPSIS]


def _size_byte(width: int, height: int) -> bytes:
    return bytes((((width - 1) << 4) | (height - 1),))


def _number_magnification(number: str, tag: str | None, profile: PrinterProfile) -> tuple[int, int, bool]:
    """Largest size up to the profile's that fits the number, and whether the tag fits beside."""
    width = (profile.number_size >> 4) + 1
    height = (profile.number_size & 0x0F) + 1
    number_cols = max(text_columns(number, profile.encoding), 1)
    tag_cols = text_columns(f" {tag} ", profile.encoding) + 1 if tag else 0
    while width > 1 and number_cols * width > profile.columns:
        width, height = width - 1, max(height - 1, 1)
    beside = bool(tag) and number_cols * width + tag_cols <= profile.columns
    return width, height, beside


def job_start(profile: PrinterProfile) -> bytes:
    """A print job's first bytes: the printer reset, Chinese mode where the profile uses it,
    centred."""
    return cmd.INIT + (cmd.CHINESE_MODE_ON if profile.chinese_mode else b"") + cmd.ALIGN_CENTER


def job_end(profile: PrinterProfile) -> bytes:
    """A print job's last bytes: the paper fed past the cutter and cut, as the profile says."""
    if profile.cut == "none":
        return b""
    return (cmd.FEED_LINES + bytes((profile.feed_lines_before_cut,))
            + (cmd.CUT_PARTIAL if profile.cut == "partial" else cmd.CUT_FULL))


def wrapped_lines(value: str, width: int, max_lines: int, encoding: str) -> bytes:
    """A text wrapped to ``width`` cells and clipped to ``max_lines``, each line ended; nothing
    for a blank text. Aligned as the caller set the printer (``ALIGN_CENTER`` for most)."""
    value = printable(value).strip()
    if not value:
        return b""
    lines = clip_lines(wrap_columns(value, width, encoding=encoding), max_lines, width, encoding)
    return b"".join(line.encode(encoding, errors="replace") + cmd.LF for line in lines)


def detail_lines(label: str, value: str, columns: int, max_lines: int, encoding: str) -> bytes:
    """One labelled row, its continuation lines indented under the value, at most
    ``max_lines`` lines."""
    label = printable(label).strip()
    value = printable(value).strip()
    # Full-width colon after a Chinese label, ": " after a translated (Latin) one.
    sep = "：" if label and text_columns(label[-1], encoding) == 2 else ": "
    head = f"{label}{sep}" if label else ""
    indent = text_columns(head, encoding)
    if indent > columns // 2:
        indent = 0
    lines = wrap_columns(head + value, columns, indent=indent, encoding=encoding)
    return b"".join(line.encode(encoding, errors="replace") + cmd.LF
                    for line in clip_lines(lines, max_lines, columns, encoding))


def qr_code(payload: str, profile: PrinterProfile) -> bytes:
    """A native QR code (``GS ( k``: model 2, the profile's module size, level M) of at most
    MAX_QR_PAYLOAD bytes, stored and printed; nothing for an empty payload."""
    data = payload.encode("utf-8")
    if not data:
        return b""
    if len(data) > MAX_QR_PAYLOAD:
        raise ValueError(f"QR payload is {len(data)} bytes; a printout holds at most {MAX_QR_PAYLOAD}")
    return (cmd.qr_command(cmd.QR_FN_MODEL, bytes((cmd.QR_MODEL_2, 0)))
            + cmd.qr_command(cmd.QR_FN_MODULE_SIZE, bytes((profile.qr_module_size,)))
            + cmd.qr_command(cmd.QR_FN_ERROR_CORRECTION, bytes((cmd.QR_EC_M,)))
            + cmd.qr_command(cmd.QR_FN_STORE, bytes((cmd.QR_M,)) + data)
            + cmd.qr_command(cmd.QR_FN_PRINT, bytes((cmd.QR_M,))))


def closing(qr_payload: str, qr_caption: str, footer: tuple[str, ...], profile: PrinterProfile) -> bytes:
    """A centred printout's end: the QR code and its caption, the footer's lines (at most
    MAX_FOOTER_LINES), then the cut."""
    out = bytearray()
    qr = qr_code(qr_payload, profile)
    if qr:
        out += cmd.LF + qr + wrapped_lines(qr_caption, profile.columns, MAX_LINES["caption"], profile.encoding)
    lines = b"".join(wrapped_lines(line, profile.columns, MAX_LINES["footer"], profile.encoding)
                     for line in footer[:MAX_FOOTER_LINES])
    if lines:
        out += cmd.LF + lines
    return bytes(out + job_end(profile))


def render_ticket(printout: TicketPrintout, profile: PrinterProfile) -> bytes:
    """The complete print job for one ticket, ready for a single raw write.

    Layout: hall name, the number large with its tag, the service, the detail rows, the QR
    code and its caption, the footer, then feed and cut. Every text byte is
    ``profile.encoding``, sent after ``FS &`` when the profile uses Chinese mode.
    """
    enc = profile.encoding
    columns = profile.columns

    def text(value: str) -> bytes:
        return value.encode(enc, errors="replace")

    out = bytearray(job_start(profile))

    hall = wrapped_lines(printout.hall_name, columns, MAX_LINES["hall"], enc)
    if hall:
        out += cmd.BOLD_ON + hall + cmd.BOLD_OFF

    number = clip_lines(wrap_columns(printable(printout.number).strip(), columns, encoding=enc), 1, columns, enc)[0]
    tag = printable(printout.tag or "").strip() or None
    if tag:
        tag = clip_lines(wrap_columns(tag, columns - 2, encoding=enc), 1, columns - 2, enc)[0]
    width, height, beside = _number_magnification(number, tag, profile)
    out += cmd.CHAR_SIZE + _size_byte(width, height) + text(number)
    if tag and beside:
        out += cmd.SIZE_NORMAL + b" " + cmd.INVERT_ON + cmd.BOLD_ON + text(f" {tag} ")
        out += cmd.BOLD_OFF + cmd.INVERT_OFF + cmd.LF
    else:
        out += cmd.LF + cmd.SIZE_NORMAL
        if tag:
            out += cmd.INVERT_ON + cmd.BOLD_ON + text(f" {tag} ") + cmd.BOLD_OFF + cmd.INVERT_OFF + cmd.LF

    service = wrapped_lines(printout.service, columns // 2, MAX_LINES["service"], enc)
    if service:
        out += cmd.SIZE_DOUBLE + service + cmd.SIZE_NORMAL

    if printout.details:
        out += cmd.LF + cmd.ALIGN_LEFT
        for label, value in printout.details[:MAX_DETAILS]:
            out += detail_lines(label, value, columns, MAX_LINES["detail"], enc)
        out += cmd.ALIGN_CENTER

    out += closing(printout.qr_payload, printout.qr_caption, printout.footer, profile)
    assert len(out) <= MAX_TICKET_BYTES, len(out)  # the limits above guarantee it
    return bytes(out)
