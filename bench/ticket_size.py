"""How many bytes a queue ticket costs on the wire, ours against python-escpos' defaults.

A serial printer at 9600 baud moves under a kilobyte a second, and a citizen waits at the
kiosk for every byte: this prints the size and transfer time of a typical ticket from
``render_ticket`` beside the same content sent through python-escpos' ``text()`` and its
default image QR, plus the time to render and decode one ticket.

    .venv/bin/python bench/ticket_size.py
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(Path(tempfile.gettempdir()) / "hall-kiosk-escpos"))
Path(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]).mkdir(parents=True, exist_ok=True)

from escpos.printer import Dummy  # noqa: E402

from devices.escpos_parse import parse_escpos  # noqa: E402
from devices.printer_profiles import PROFILES, PrinterProfile  # noqa: E402
from devices.ticket_layout import TicketPrintout, render_ticket  # noqa: E402
from tests.devices.sample_tickets import typical_printout  # noqa: E402

BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit
TICKET = typical_printout(tag="绿色通道")


def python_escpos_ticket(ticket: TicketPrintout, profile: PrinterProfile, *, native_qr: bool) -> bytes:
    """The same content through python-escpos' everyday calls, defaults left alone."""
    printer = Dummy()
    printer.set(align="center", bold=True)
    printer.textln(ticket.hall_name)
    printer.set(bold=False, custom_size=True, width=(profile.number_size >> 4) + 1,
                height=(profile.number_size & 0x0F) + 1)
    printer.text(ticket.number)
    printer.set(normal_textsize=True, invert=True)
    printer.textln(f" {ticket.tag} ")
    printer.set(invert=False, double_width=True, double_height=True)
    printer.textln(ticket.service)
    printer.set(normal_textsize=True, align="left")
    for label, value in ticket.details:
        printer.textln(f"{label}：{value}")
    printer.set(align="center")
    with contextlib.redirect_stdout(io.StringIO()):  # image() prints a profile warning
        printer.qr(ticket.qr_payload, native=native_qr)
    printer.textln(ticket.qr_caption)
    for line in ticket.footer:
        printer.textln(line)
    printer.cut(mode="PART")
    return printer.output


def per_call(fn, repeat: int = 200) -> float:
    for _ in range(20):  # warm up
        fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def main() -> None:
    print(f"{'ticket':<40} {'bytes':>7} {'9600 baud':>10} {'115200 baud':>12} {'ratio':>7}")
    for name, profile in PROFILES.items():
        ours = len(render_ticket(TICKET, profile))
        rows = [
            (f"render_ticket, {name}", ours),
            (f"python-escpos text() + native QR, {name}", len(python_escpos_ticket(TICKET, profile, native_qr=True))),
            (f"python-escpos text() + image QR, {name}", len(python_escpos_ticket(TICKET, profile, native_qr=False))),
        ]
        for label, size in rows:
            slow = size * BITS_PER_BYTE / 9600
            fast = size * BITS_PER_BYTE / 115200
            print(f"{label:<40} {size:>7,} {slow:>9.2f}s {fast:>11.3f}s {size / ours:>6.1f}x")
    profile = PROFILES["80mm"]
    data = render_ticket(TICKET, profile)
    render = per_call(lambda: render_ticket(TICKET, profile))
    parse = per_call(lambda: parse_escpos(data))
    print(f"\nrender_ticket {render * 1e6:.0f} us per ticket; parse_escpos {parse * 1e6:.0f} us per ticket (80mm)")
    print("python-escpos' text() sends no FS & before GB18030: those tickets print garbled on printers "
          "that power on outside Chinese mode.")


if __name__ == "__main__":
    main()
