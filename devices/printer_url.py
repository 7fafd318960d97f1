"""A printer's URL read in one place, without loading python-escpos: the driver opens what
it names (devices.printer), and the start-up checks of the kiosk (kiosk.config) and of the
hall's counters (hall.spec) refuse at start what the driver could not open."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from devices.errors import BadDeviceUrl
from devices.port_url import one_value_options, port_target, reject_options, url_scheme
from devices.urlhandler.simulator_urls import check_simulator_url

EXPECTED_FORMS = (
    "serial:///dev/ttyS0?baudrate=9600[&bytesize=8&parity=N&stopbits=1&rtscts=0&xonxoff=0&dsrdtr=0], "
    "tcp://HOST[:9100], usb://VID:PID[?in_ep=0x82&out_ep=0x01] (hex), "
    "file:///dev/usb/lp0 or a plain path, loop://, "
    "simprinter://[?spool=DIR&paper=ok|near_end|out&online=1|0&fail_after=N]"
)
USB_FORM = "usb://VID:PID[?in_ep=0x82&out_ep=0x01], VID and PID as 4 hex digits, e.g. usb://04b8:0202"


@dataclass(frozen=True)
class PrinterTarget:
    """What a printer URL names: ``scheme`` ("" for a bare path), the pyserial URL and
    keyword arguments of a serial-like port (``serial``, ``tcp``, ``loop``, ``simprinter``),
    the USB ids as python-escpos' ``Usb`` takes them, or the path of a device file."""

    scheme: str
    port_url: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    path: str = ""


def printer_target(url: str) -> PrinterTarget:
    """The URL read and checked; BadDeviceUrl quoting it and the expected forms."""
    parts = urllib.parse.urlsplit(url)
    scheme = url_scheme(url)
    if scheme in ("serial", "tcp", "loop"):
        port_url, options = port_target(url, expected=EXPECTED_FORMS, default_tcp_port=9100)
        return PrinterTarget(scheme, port_url, options)
    if scheme == "simprinter":
        check_simulator_url(url)
        return PrinterTarget(scheme, url)
    if scheme == "usb":
        return PrinterTarget(scheme, options=_usb_ids(url, parts.netloc, parts.path, parts.query))
    if scheme == "file" or not scheme:
        path = urllib.parse.unquote(parts.path) if scheme else url
        if scheme:
            reject_options(url, parts.query, EXPECTED_FORMS)
        if not path or path.endswith("/") or parts.netloc not in ("", "localhost"):
            raise BadDeviceUrl(f"{url!r}: expected file:///PATH, e.g. file:///dev/usb/lp0")
        return PrinterTarget(scheme, path=path)
    raise BadDeviceUrl(f"unknown printer URL scheme {parts.scheme!r} in {url!r}; expected one of: {EXPECTED_FORMS}")


def configured_printer(url: str) -> PrinterTarget:
    """A printer URL as a configuration file names it (a kiosk's, a counter's in hall.toml):
    read as printer_target reads it, its scheme written out. A bare path, which test-print
    takes for a file, is a mistake there."""
    if "://" not in url:
        raise BadDeviceUrl(f"{url!r} names no printer URL scheme; expected one of: {EXPECTED_FORMS}")
    return printer_target(url)


def _usb_ids(url: str, location: str, path: str, query: str) -> dict[str, int]:
    vid, sep, pid = location.partition(":")
    try:
        if not sep or len(vid) != 4 or len(pid) != 4 or path not in ("", "/"):
            raise ValueError
        ids: dict[str, int] = {"idVendor": int(vid, 16), "idProduct": int(pid, 16)}
    except ValueError:
        raise BadDeviceUrl(f"{url!r}: expected {USB_FORM}") from None
    for option, value in one_value_options(url, query).items():
        if option not in ("in_ep", "out_ep"):
            raise BadDeviceUrl(f"{url!r}: unknown option {option!r}; expected {USB_FORM}")
        try:
            ids[option] = int(value, 0)
            if not 0 <= ids[option] <= 0xFF:
                raise ValueError
        except ValueError:
            raise BadDeviceUrl(f"{url!r}: bad value {value!r} for {option}; expected {USB_FORM}") from None
    return ids
