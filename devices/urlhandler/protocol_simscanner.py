"""``simscanner://``: a simulated serial code scanner behind a pyserial port.

A test, or a person at the simulated kiosk, calls ``port.scanner.scan(text)``: the code's
bytes and the line ending arrive on the port as a real scanner sends them. The scanner
ignores what the host writes.

URL form::

    simscanner://[?suffix=cr|lf|crlf][&encoding=utf-8|gb18030]
"""

from __future__ import annotations

from collections.abc import Callable

from devices.urlhandler.simulated_port import SimulatedPort
from devices.urlhandler.simulator_urls import simscanner_options



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


class Serial(SimulatedPort):
    """The port surface of the simulated scanner."""

    @property
    def scanner(self) -> SimulatedScanner:
        device = self._device()
        assert isinstance(device, SimulatedScanner)
        return device

    def from_url(self, url: str) -> SimulatedScanner:
        return SimulatedScanner(self.deliver, **simscanner_options(url))  # type: ignore[arg-type]
