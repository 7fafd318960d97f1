"""ESC/POS command bytes for receipt printers: the subset our queue tickets use and read back.

One place for the bytes, so the ticket renderer, the decoder and the simulator cannot drift
apart. Sources, cited per constant:

- "ESC/POS Command Reference for TM Printers" (Epson, rev. 2.x), the sections named below;
- the Chinese-model supplement of that reference for the Kanji (Chinese) character mode,
  which Chinese-market printers use for GB18030/GBK double-byte text.

Written out here rather than imported from ``escpos.constants``: importing python-escpos pulls
in Pillow, qrcode and python-barcode (about 0.6 s), which the renderer and decoder do not
need; a test checks that the values we share with python-escpos agree.
"""

from __future__ import annotations

# Control characters (Command Reference, "Print commands" and "Mechanism control").
LF = b"\x0a"  # print and line feed
CR = b"\x0d"  # print and carriage return; ignored by most printers when auto line feed is off
HT = b"\x09"  # horizontal tab
DLE = b"\x10"
EOT = b"\x04"
ESC = b"\x1b"
FS = b"\x1c"
GS = b"\x1d"

# ESC @ -- Initialize printer: clears the print buffer and resets modes to power-on values.
INIT = ESC + b"@"

# FS & / FS . -- Select / cancel Kanji (Chinese) character mode: in it, a byte pair (or a
# GB18030 four-byte sequence) prints as one double-width character.
CHINESE_MODE_ON = FS + b"&"
CHINESE_MODE_OFF = FS + b"."
# FS ! n -- Kanji print mode (double width bit 2, double height bit 3, underline bit 7).
CHINESE_PRINT_MODE = FS + b"!"
# FS W n -- Kanji quadruple size on/off.
CHINESE_QUAD = FS + b"W"

# ESC a n -- Select justification (0 left, 1 centre, 2 right); also positions a native QR code.
ALIGN = ESC + b"a"
ALIGN_LEFT = ALIGN + b"\x00"
ALIGN_CENTER = ALIGN + b"\x01"
ALIGN_RIGHT = ALIGN + b"\x02"

# ESC E n -- Emphasized (bold) on/off; applies to alphanumeric and Kanji characters alike.
BOLD = ESC + b"E"
BOLD_ON = BOLD + b"\x01"
BOLD_OFF = BOLD + b"\x00"

# GS B n -- White/black reverse print on/off.
INVERT = GS + b"B"
INVERT_ON = INVERT + b"\x01"
INVERT_OFF = INVERT + b"\x00"

# GS ! n -- Select character size: high nibble = width - 1, low nibble = height - 1 (1..8).
# Unlike ESC !, it scales Kanji characters too, so Chinese text uses it for every size.
CHAR_SIZE = GS + b"!"
SIZE_NORMAL = CHAR_SIZE + b"\x00"
SIZE_DOUBLE = CHAR_SIZE + b"\x11"

# ESC ! n -- Select print mode (alphanumeric only): bit 3 bold, 4 double height, 5 double width.
PRINT_MODE = ESC + b"!"
PRINT_MODE_BOLD = 0x08
PRINT_MODE_DOUBLE_HEIGHT = 0x10
PRINT_MODE_DOUBLE_WIDTH = 0x20

# Other single-parameter ESC commands the decoder accepts from python-escpos output.
UNDERLINE = ESC + b"-"  # ESC - n
DOUBLE_STRIKE = ESC + b"G"  # ESC G n
FONT = ESC + b"M"  # ESC M n
CODE_PAGE = ESC + b"t"  # ESC t n -- character code table for single-byte text
UPSIDE_DOWN = ESC + b"{"  # ESC { n
LINE_SPACING_DEFAULT = ESC + b"2"  # ESC 2
LINE_SPACING = ESC + b"3"  # ESC 3 n
FEED_DOTS = ESC + b"J"  # ESC J n -- print and feed n motion units

# ESC d n -- Print and feed n lines.
FEED_LINES = ESC + b"d"

# ESC * m nL nH d1...dk -- Select bit-image mode (column format); k = n * (1 or 3 by m).
BIT_IMAGE_COLUMN = ESC + b"*"

# GS V -- Select cut mode and cut paper. Function A (m = 0/48 full, 1/49 partial) cuts where
# the paper stands, so the ticket feeds first; function B (m = 65/66, then n) feeds and cuts.
CUT = GS + b"V"
CUT_FULL = CUT + b"\x00"
CUT_PARTIAL = CUT + b"\x01"
CUT_FUNCTION_A = frozenset({0, 1, 48, 49})
CUT_FUNCTION_B = frozenset({65, 66})

# GS v 0 m xL xH yL yH d1...dk -- Print raster bit image; k = (xL + xH*256) * (yL + yH*256).
RASTER_IMAGE = GS + b"v0"

# GS ( k pL pH cn fn [parameters] -- 2D code ("Two-dimensional code" section); cn 49 = QR.
# pL pH count the bytes after themselves: cn, fn and the parameters.
CODE_2D = GS + b"(k"
QR_CN = 0x31
QR_FN_MODEL = 0x41  # fn 65: n1 = 49 model 1, 50 model 2, 51 micro; n2 = 0
QR_FN_MODULE_SIZE = 0x43  # fn 67: n = dots per module, 1..16
QR_FN_ERROR_CORRECTION = 0x45  # fn 69: n = 48 L, 49 M, 50 Q, 51 H
QR_FN_STORE = 0x50  # fn 80: m = 48, then the data
QR_FN_PRINT = 0x51  # fn 81: m = 48, prints the stored symbol
QR_MODEL_2 = 0x32
QR_EC_M = 0x31
QR_M = 0x30
QR_MAX_DATA = 7089  # fn 80 accepts up to 7089 bytes (QR version 40)

# GS ( L pL pH m fn ... -- Graphics; only recognised and skipped by the decoder.
GRAPHICS = GS + b"(L"

# Other GS commands with one parameter byte, accepted and ignored by the decoder.
SMOOTHING = GS + b"b"  # GS b n
DENSITY = GS + b"|"  # GS | n

# DLE EOT n -- Transmit real-time status ("Real-time commands" section). The printer answers
# one byte at once, even while offline, whose fixed bits are 0x12 (bits 1 and 4 set, bits 0
# and 7 clear).
REAL_TIME_STATUS = DLE + EOT
STATUS_PRINTER = REAL_TIME_STATUS + b"\x01"  # n = 1: printer status
STATUS_OFFLINE_CAUSE = REAL_TIME_STATUS + b"\x02"  # n = 2: offline cause
STATUS_ERROR_CAUSE = REAL_TIME_STATUS + b"\x03"  # n = 3: error cause
STATUS_PAPER = REAL_TIME_STATUS + b"\x04"  # n = 4: roll paper sensor
STATUS_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7
STATUS_FIXED_BITS = 0x12  # their values in every valid reply
STATUS_OFFLINE_BIT = 0x08  # n = 1, bit 3: offline
STATUS_PAPER_NEAR_END_BITS = 0x0C  # n = 4, bits 2-3: roll paper near-end sensor
STATUS_PAPER_OUT_BITS = 0x60  # n = 4, bits 5-6: roll paper end sensor


def length_low_high(value: int) -> bytes:
    """Two-byte little-endian count, as the pL pH / nL nH / xL xH fields take it.

    One helper so every length field is computed, never typed, and overflow fails loudly
    instead of wrapping into a command the printer would misread.
    """
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"length {value} does not fit the two-byte ESC/POS count (0..65535)")
    return value.to_bytes(2, "little")


def qr_command(fn: int, parameters: bytes) -> bytes:
    """One ``GS ( k`` QR function with its length field counting cn, fn and the parameters."""
    return CODE_2D + length_low_high(len(parameters) + 2) + bytes((QR_CN, fn)) + parameters


def status_reply_is_valid(reply: int) -> bool:
    """Whether a byte can be a DLE EOT reply: the fixed bits tell it from echoes and noise."""
    return reply & STATUS_FIXED_MASK == STATUS_FIXED_BITS
