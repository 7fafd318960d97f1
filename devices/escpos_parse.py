"""Decoding ESC/POS bytes back into what the printer would print.

Pure functions over bytes: the simulator uses them to find real-time status requests and cuts
in the stream and to write a readable preview of each job; tests use them to check a ticket's
text, number and QR payload from the very bytes a printer would receive.

The decoder knows the subset :mod:`devices.ticket_layout` emits, plus what python-escpos
produces for text, images (``GS v 0``, ``ESC *``, ``GS ( L``) and barcodes, which it
recognises and skips. Anything else is an :class:`EscposParseError` naming the offset: a
decoder that guessed would hide exactly the bugs it is there to catch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices import escpos_commands as cmd
from devices.errors import DeviceError


class EscposParseError(DeviceError, ValueError):
    """Bytes that are not a complete, known ESC/POS command sequence."""

    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(f"at offset {offset}: {detail}")
        self.detail = detail
        self.offset = offset


@dataclass(frozen=True)
class Command:
    """One command or text run found in the stream, with where it started."""

    offset: int
    name: str  # "TEXT", "LF", or the command's mnemonic such as "GS ( k"
    data: bytes  # the whole command, prefix included


# Commands whose length is fixed: prefix -> total length in bytes.
_FIXED: dict[bytes, tuple[str, int]] = {
    cmd.INIT: ("ESC @", 2),
    cmd.LINE_SPACING_DEFAULT: ("ESC 2", 2),
    cmd.PRINT_MODE: ("ESC !", 3),
    cmd.BOLD: ("ESC E", 3),
    cmd.UNDERLINE: ("ESC -", 3),
    cmd.ALIGN: ("ESC a", 3),
    cmd.FEED_LINES: ("ESC d", 3),
    cmd.FEED_DOTS: ("ESC J", 3),
    cmd.LINE_SPACING: ("ESC 3", 3),
    cmd.FONT: ("ESC M", 3),
    cmd.CODE_PAGE: ("ESC t", 3),
    cmd.DOUBLE_STRIKE: ("ESC G", 3),
    cmd.UPSIDE_DOWN: ("ESC {", 3),
    cmd.ESC + b"R": ("ESC R", 3),  # international character set
    cmd.ESC + b" ": ("ESC SP", 3),  # right-side character spacing
    cmd.ESC + b"$": ("ESC $", 4),  # absolute print position
    cmd.ESC + b"p": ("ESC p", 5),  # cash drawer pulse
    cmd.CHINESE_MODE_ON: ("FS &", 2),
    cmd.CHINESE_MODE_OFF: ("FS .", 2),
    cmd.CHINESE_PRINT_MODE: ("FS !", 3),
    cmd.CHINESE_QUAD: ("FS W", 3),
    cmd.FS + b"-": ("FS -", 3),  # Kanji underline
    cmd.FS + b"C": ("FS C", 3),  # Kanji code system
    cmd.FS + b"S": ("FS S", 4),  # Kanji spacing
    cmd.CHAR_SIZE: ("GS !", 3),
    cmd.INVERT: ("GS B", 3),
    cmd.SMOOTHING: ("GS b", 3),
    cmd.DENSITY: ("GS |", 3),
    cmd.GS + b"L": ("GS L", 4),  # left margin
    cmd.GS + b"W": ("GS W", 4),  # print area width
    cmd.GS + b"H": ("GS H", 3),  # barcode HRI position
    cmd.GS + b"f": ("GS f", 3),  # barcode HRI font
    cmd.GS + b"h": ("GS h", 3),  # barcode height
    cmd.GS + b"w": ("GS w", 3),  # barcode module width
    cmd.REAL_TIME_STATUS: ("DLE EOT", 3),
    cmd.DLE + b"\x05": ("DLE ENQ", 3),
}
_PREFIX_BYTES = frozenset(cmd.ESC + cmd.FS + cmd.GS + cmd.DLE)
_TEXT_CONTROLS = frozenset(cmd.HT)


def _command_length(buf: bytes | bytearray, i: int) -> tuple[str, int] | None:
    """Name and length of the command starting at ``buf[i]``, or None if more bytes are needed.

    Raises for a prefix byte followed by a command we do not know, since its length (and so
    where the next command starts) cannot be known.
    """
    if i + 1 >= len(buf):
        return None
    two = bytes(buf[i : i + 2])
    if two in _FIXED:
        return _FIXED[two]
    avail = len(buf) - i
    if two == cmd.CUT:
        if avail < 3:
            return None
        m = buf[i + 2]
        if m in cmd.CUT_FUNCTION_A:
            return "GS V", 3
        if m in cmd.CUT_FUNCTION_B:
            return "GS V", 4
        raise EscposParseError(f"GS V with unknown cut mode {m}", i)
    if two == cmd.GS + b"(":
        if avail < 5:
            return None
        kind = buf[i + 2]
        if kind not in b"kL":
            raise EscposParseError(f"unknown command GS ( {kind:#04x}", i)
        return f"GS ( {chr(kind)}", 5 + buf[i + 3] + 256 * buf[i + 4]
    if two == cmd.GS + b"v":
        if avail < 8:
            return None
        if buf[i + 2] != 0x30:
            raise EscposParseError(f"unknown command GS v {buf[i + 2]:#04x}", i)
        width_bytes = buf[i + 4] + 256 * buf[i + 5]
        height = buf[i + 6] + 256 * buf[i + 7]
        return "GS v 0", 8 + width_bytes * height
    if two == cmd.BIT_IMAGE_COLUMN:
        if avail < 5:
            return None
        m = buf[i + 2]
        if m not in (0, 1, 32, 33):
            raise EscposParseError(f"ESC * with unknown bit-image mode {m}", i)
        columns = buf[i + 3] + 256 * buf[i + 4]
        return "ESC *", 5 + columns * (3 if m >= 32 else 1)
    if two == cmd.GS + b"k":
        if avail < 3:
            return None
        m = buf[i + 2]
        if m <= 6:  # function A: data ends with NUL
            end = bytes(buf).find(b"\x00", i + 3)
            return None if end < 0 else ("GS k", end + 1 - i)
        if 65 <= m <= 78:  # function B: n then n bytes
            return None if avail < 4 else ("GS k", 4 + buf[i + 3])
        raise EscposParseError(f"GS k with unknown barcode system {m}", i)
    if two == cmd.ESC + b"D":  # tab positions, NUL-terminated
        end = bytes(buf).find(b"\x00", i + 2)
        return None if end < 0 else ("ESC D", end + 1 - i)
    prefix = {0x1B: "ESC", 0x1C: "FS", 0x1D: "GS", 0x10: "DLE"}[buf[i]]
    raise EscposParseError(f"unknown command {prefix} {buf[i + 1]:#04x}", i)


class CommandSplitter:
    """Cuts a byte stream into commands and text runs, fed in chunks of any size.

    A real port delivers a ticket in arbitrary pieces; the simulator feeds each write here
    and acts on whole commands only, so a ``DLE EOT`` split across two writes still gets
    its answer. Bad bytes raise :class:`EscposParseError` only once the commands before
    them have been returned, so a caller that skips the bad bytes loses nothing else.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0  # stream offset of _buffer[0]

    @property
    def pending(self) -> bytes:
        """Bytes of a command still incomplete."""
        return bytes(self._buffer)

    def feed(self, chunk: bytes) -> list[Command]:
        self._buffer += chunk
        buf = self._buffer
        out: list[Command] = []
        i = 0
        while i < len(buf):
            b = buf[i]
            if b >= 0x20 or b in _TEXT_CONTROLS:
                j = i + 1
                while j < len(buf) and (buf[j] >= 0x20 or buf[j] in _TEXT_CONTROLS):
                    j += 1
                out.append(Command(self._offset + i, "TEXT", bytes(buf[i:j])))
                i = j
            elif b == 0x0A:
                out.append(Command(self._offset + i, "LF", cmd.LF))
                i += 1
            elif b == 0x0D:
                out.append(Command(self._offset + i, "CR", cmd.CR))
                i += 1
            elif b in _PREFIX_BYTES:
                try:
                    found = _command_length(buf, i)
                except EscposParseError as e:
                    if out:
                        break  # hand over what came before; the next feed raises
                    at = self._offset + e.offset
                    self._drop(i)
                    raise EscposParseError(e.detail, at) from None
                if found is None or i + found[1] > len(buf):
                    break
                name, length = found
                out.append(Command(self._offset + i, name, bytes(buf[i : i + length])))
                i += length
            else:
                if out:
                    break
                at = self._offset + i
                self._drop(i)
                raise EscposParseError(f"unexpected control byte {b:#04x}", at)
        self._drop(i)
        return out

    def skip(self, count: int = 1) -> None:
        """Throw away bytes the caller decided are garbage, so decoding can go on after them."""
        self._drop(min(count, len(self._buffer)))

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self._offset += count


def split_commands(data: bytes) -> list[Command]:
    """All commands in a complete job; a command cut short at the end is an error."""
    splitter = CommandSplitter()
    commands = splitter.feed(data)
    while splitter.pending:
        more = splitter.feed(b"")
        if not more:
            break
        commands += more
    if splitter.pending:
        start = len(data) - len(splitter.pending)
        raise EscposParseError(f"truncated command {splitter.pending[:4]!r}... ({len(splitter.pending)} bytes)", start)
    return commands


@dataclass(frozen=True)
class Span:
    """A piece of a line printed in one style."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    inverted: bool = False


@dataclass(frozen=True)
class ParsedLine:
    """One printed line with the styles its pieces had."""

    text: str
    align: str = "left"
    spans: tuple[Span, ...] = ()

    @property
    def width(self) -> int:
        return max((s.width for s in self.spans), default=1)

    @property
    def height(self) -> int:
        return max((s.height for s in self.spans), default=1)

    @property
    def bold(self) -> bool:
        return any(s.bold for s in self.spans)


@dataclass
class ParsedPrint:
    """What a job prints, as a reader of the paper would see it."""

    lines: list[str] = field(default_factory=list)
    styled: list[ParsedLine] = field(default_factory=list)  # parallel to ``lines``
    qr_payloads: list[str] = field(default_factory=list)  # from GS ( k fn 80 (store)
    qr_printed: int = 0  # GS ( k fn 81
    images: int = 0  # bit-image commands, printed but not decoded (ESC * sends one per band)
    cuts: int = 0
    chinese_mode_entered: bool = False
    warnings: list[str] = field(default_factory=list)
    _items: list[tuple[str, object]] = field(default_factory=list, repr=False)

    def largest_text(self) -> str:
        """The text printed in the largest characters: the ticket number on our tickets."""
        spans = [s for line in self.styled for s in line.spans if s.text.strip()]
        if not spans:
            return ""
        biggest = max(s.width * s.height for s in spans)
        return " ".join(s.text.strip() for s in spans if s.width * s.height == biggest)

    def line_containing(self, text: str) -> ParsedLine:
        """The first line holding ``text``, for tests that check how something was printed."""
        for line in self.styled:
            if text in line.text:
                return line
        raise LookupError(f"no printed line contains {text!r}; lines: {self.lines!r}")

    def preview(self, columns: int = 48) -> str:
        """A plain-text picture of the paper, for a spool file a person can read."""
        out: list[str] = []
        for kind, item in self._items:
            if kind == "line":
                assert isinstance(item, ParsedLine)
                width = sum(_cells(s.text) * s.width for s in item.spans)
                pad = max(columns - width, 0)
                lead = pad // 2 if item.align == "center" else pad if item.align == "right" else 0
                marks = "".join(
                    f"  [{s.width}x{s.height}{' bold' if s.bold else ''}{' inverse' if s.inverted else ''}: {s.text.strip()}]"
                    for s in item.spans
                    if (s.width, s.height) != (1, 1) or s.inverted
                )
                out.append((" " * lead + item.text).rstrip() + marks)
            elif kind == "qr":
                out.append(f"[QR code: {item}]")
            elif kind == "image":
                out.append(f"[image {item}]")
            elif kind == "cut":
                out.append(f"{'-' * 8} {item} cut {'-' * 8}")
        return "\n".join(out) + "\n"


def _cells(text: str) -> int:
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


_ALIGN_NAMES = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


def parse_escpos(data: bytes, *, chinese_at_power_on: bool = False) -> ParsedPrint:
    """Decode a print job into its lines, QR payloads and cuts.

    Text is GB18030 while Chinese mode is on (``FS &``), code page 437 otherwise;
    ``chinese_at_power_on`` says which mode ``ESC @`` returns to, as printers differ.
    Multi-byte text outside Chinese mode is decoded anyway but noted in ``warnings``,
    since that is the garbled-ticket bug this decoder exists to catch.
    """
    result = ParsedPrint()
    chinese = chinese_at_power_on
    width = height = 1
    bold = inverted = False
    align = "left"
    spans: list[Span] = []
    line_align = align

    def end_line() -> None:
        nonlocal spans
        text = "".join(s.text for s in spans)
        parsed = ParsedLine(text=text, align=line_align if spans else align, spans=tuple(spans))
        result.lines.append(text)
        result.styled.append(parsed)
        result._items.append(("line", parsed))
        spans = []

    for command in split_commands(data):
        name, raw, at = command.name, command.data, command.offset
        if name == "TEXT":
            if chinese:
                try:
                    text = raw.decode("gb18030")
                except UnicodeDecodeError as e:
                    raise EscposParseError(f"invalid GB18030 text {raw[e.start:e.end + 1]!r}", at + e.start) from None
            else:
                if any(b >= 0x80 for b in raw):
                    result.warnings.append(f"offset {at}: bytes >= 0x80 outside Chinese mode, printed as code page 437")
                text = raw.decode("cp437")
            if not spans:
                line_align = align
            spans.append(Span(text, width, height, bold, inverted))
        elif name == "LF":
            end_line()
        elif name == "ESC @":
            chinese = chinese_at_power_on
            width = height = 1
            bold = inverted = False
            align = "left"
        elif name == "FS &":
            chinese = True
            result.chinese_mode_entered = True
        elif name == "FS .":
            chinese = False
        elif name == "ESC a":
            if raw[2] not in _ALIGN_NAMES:
                raise EscposParseError(f"ESC a with unknown justification {raw[2]}", at)
            align = _ALIGN_NAMES[raw[2]]
        elif name == "ESC E":
            bold = bool(raw[2] & 1)
        elif name == "GS B":
            inverted = bool(raw[2] & 1)
        elif name == "GS !":
            if raw[2] & 0x88:
                raise EscposParseError(f"GS ! with size byte {raw[2]:#04x} beyond 8x8", at)
            width, height = (raw[2] >> 4) + 1, (raw[2] & 0x0F) + 1
        elif name == "ESC !":
            n = raw[2]
            width = 2 if n & cmd.PRINT_MODE_DOUBLE_WIDTH else 1
            height = 2 if n & cmd.PRINT_MODE_DOUBLE_HEIGHT else 1
            bold = bool(n & cmd.PRINT_MODE_BOLD)
        elif name == "ESC d":
            if spans:
                end_line()
                feeds = raw[2] - 1
            else:
                feeds = raw[2]
            for _ in range(max(feeds, 0)):
                end_line()
        elif name == "GS V":
            if spans:
                end_line()
            result.cuts += 1
            result._items.append(("cut", "partial" if raw[2] in (1, 49, 66) else "full"))
        elif name == "GS ( k":
            _qr_function(raw, at, result)
        elif name in ("GS v 0", "ESC *"):
            result.images += 1
            if name == "GS v 0":
                dims = f"{8 * (raw[4] + 256 * raw[5])}x{raw[6] + 256 * raw[7]} dots"
            else:
                dims = f"{raw[3] + 256 * raw[4]} dots wide (column format)"
            result._items.append(("image", dims))
        elif name == "GS ( L":
            if len(raw) > 6 and raw[6] in (0x32, 50):  # fn 50: print the graphics buffer
                result.images += 1
                result._items.append(("image", "graphics"))
        # Everything else (spacing, fonts, code pages, barcodes setup, DLE EOT) prints nothing.
    if spans:
        end_line()
    return result


def _qr_function(raw: bytes, at: int, result: ParsedPrint) -> None:
    if len(raw) < 7:
        raise EscposParseError("GS ( k shorter than its cn and fn bytes", at)
    cn, fn = raw[5], raw[6]
    if cn != cmd.QR_CN:
        return  # PDF417 and other 2D symbols: set up and printed, not decoded
    if fn == cmd.QR_FN_STORE:
        if len(raw) < 8 or raw[7] != cmd.QR_M:
            raise EscposParseError("QR store (fn 80) without m = 48", at)
        result.qr_payloads.append(raw[8:].decode("utf-8", errors="replace"))
    elif fn == cmd.QR_FN_PRINT:
        result.qr_printed += 1
        stored = result.qr_payloads[-1] if result.qr_payloads else "(nothing stored)"
        result._items.append(("qr", stored))
    elif fn not in (cmd.QR_FN_MODEL, cmd.QR_FN_MODULE_SIZE, cmd.QR_FN_ERROR_CORRECTION, 0x52):
        raise EscposParseError(f"QR function {fn} is not one we know", at)
