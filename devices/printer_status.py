"""The printer's real-time status (DLE EOT replies) as a value the kiosk can act on.

Pure functions over the reply bytes, apart from the driver so that the kiosk can name a
status without loading python-escpos.
"""
from __future__ import annotations

from enum import Enum

from devices import escpos_commands as cmd


class PrinterStatus(Enum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"  # the connection cannot read back (file://, USB without a reply)


def decode_status(printer: int, paper: int) -> PrinterStatus:
    """The printer's state from its ``DLE EOT 1`` and ``DLE EOT 4`` replies.

    Paper out comes first although the printer also reports itself offline then: it is the
    more useful thing to tell the staff. Replies without the fixed bits are not status bytes
    (an echo, line noise) and give UNKNOWN rather than a guess.
    """
    if not (cmd.status_reply_is_valid(printer) and cmd.status_reply_is_valid(paper)):
        return PrinterStatus.UNKNOWN
    if paper & cmd.STATUS_PAPER_OUT_BITS == cmd.STATUS_PAPER_OUT_BITS:
        return PrinterStatus.PAPER_OUT
    if printer & cmd.STATUS_OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper & cmd.STATUS_PAPER_NEAR_END_BITS == cmd.STATUS_PAPER_NEAR_END_BITS:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK
