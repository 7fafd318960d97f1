"""``simscanner://``: a simulated serial code scanner behind a pyserial port.

A test, or a person at the simulated kiosk, calls ``port.scanner.scan(text)``: the code's
bytes and the line ending arrive on the port as a real scanner sends them. The scanner
ignores what the host writes.

URL form::

    simscanner://[?suffix=cr|lf|crlf][&encoding=utf-8|gb18030]
"""

from __future__ import annotations

from collections.abc import Callable

from devices.errors import BadDeviceUrl
from devices.port_url import simulator_options
from devices.urlhandler.simulated_port import SimulatedPort

EXPECTED_FORM = '"simscanner://[?suffix=cr|lf|crlf][&encoding=utf-8|gb18030]"'
SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
ENCODINGS = ("utf-8", "gb18030")


class SimulatedScanner:
    def __init__(self, send: Callable[[bytes], None], *, suffix: bytes = b"\r", encoding: str = "utf-8") -> None:
        self._send = send
        self.suffix = suffix
        self.encoding = encoding

    def receive(self, data: bytes) -> bytes:
        return b""

    def scan(self, text: str) -> None:
        """The code ``text`` as the scanner sends it: its bytes, then the line ending."""
        self._send(text.encode(self.encoding) + self.suffix)


def read_options(url: str) -> dict[str, object]:
    """The URL's options as SimulatedScanner takes them; BadDeviceUrl for one it does not
    know. Read when the port opens, and by the start-up check."""
    options: dict[str, object] = {}
    for option, value in simulator_options(url, "simscanner", EXPECTED_FORM).items():
        if option == "suffix" and value in SUFFIXES:
            options["suffix"] = SUFFIXES[value]
        elif option == "encoding" and value in ENCODINGS:
            options["encoding"] = value
        else:
            raise BadDeviceUrl(f"expected a URL of the form {EXPECTED_FORM}: bad option {option}={value!r}")
    return options


class Serial(SimulatedPort):
    """The port surface of the simulated scanner."""

    @property
    def scanner(self) -> SimulatedScanner:
        device = self._device()
        assert isinstance(device, SimulatedScanner)
        return device

    def from_url(self, url: str) -> SimulatedScanner:
        return SimulatedScanner(self.deliver, **read_options(url))  # type: ignore[arg-type]
