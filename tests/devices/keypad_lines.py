"""Simulated keypad lines for the driver's and the bridge's tests: on a real pty or through
``simkeypad://``, and a recorder of what the driver delivers, waited on for positive markers."""
from __future__ import annotations

import threading
from collections.abc import Callable

from devices.keypad import KeypadLine, KeypadStatus, KeyPressed, open_keypad_line
from devices.urlhandler.protocol_simkeypad import SimulatedKeypadLine
from tests.devices.pty_device import PtyDevice
from tests.support.waiting import until

WAIT = 10.0  # s: how long a test waits for a marker before it fails, never a figure it checks


class Clock:
    """A time source a test moves on: the simulated keypads' (their 2 s rule) or the bridge's deadlines."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class PtyLine(PtyDevice):
    """A simulated keypad line on a real pty."""

    @property
    def line(self) -> SimulatedKeypadLine:
        return self.device


class Recorder:
    """What a KeypadLine delivers, in order, for a test to wait on."""

    def __init__(self) -> None:
        self.keys: list[KeyPressed] = []
        self.statuses: list[tuple[int, KeypadStatus]] = []
        self._changed = threading.Condition()

    def on_key(self, pressed: KeyPressed) -> None:
        with self._changed:
            self.keys.append(pressed)
            self._changed.notify_all()

    def on_status(self, address: int, status: KeypadStatus, detail: str) -> None:
        with self._changed:
            self.statuses.append((address, status))
            self._changed.notify_all()

    def wait_for(self, what: Callable[[], bool], description: str) -> None:
        with self._changed:
            if not self._changed.wait_for(what, timeout=WAIT):
                raise AssertionError(f"waited {WAIT} s for {description}")


def wait_until(what: Callable[[], bool], description: str) -> None:
    """For markers on the simulator's side, which tells no one: looked at every 10 ms."""
    until(what, seconds=WAIT, every=0.01, what=description)


class Line:
    """A driver on a simulated line, either transport, with the simulator at hand."""

    def __init__(self, transport: str, addresses: tuple[int, ...], **faults) -> None:
        self.recorder = Recorder()
        self._pty: PtyLine | None = None
        if transport == "pty":
            self._pty = PtyLine(SimulatedKeypadLine(addresses, **faults))
            url = self._pty.url
        else:
            query = "&".join([f"keypads={','.join(map(str, addresses))}",
                              *(f"{k}={v}" for k, v in faults.items() if v is not None)])
            url = f"simkeypad://?{query}"
        self.driver: KeypadLine = open_keypad_line(url, addresses, on_key=self.recorder.on_key,
                                                   on_status=self.recorder.on_status)

    @property
    def sim(self) -> SimulatedKeypadLine:
        if self._pty is not None:
            return self._pty.line
        return self.driver.port.line

    def rate(self, address: int, key: int, ticket: str = "A001") -> int:
        """Prompt ``address``, wait for the keypad to show it, press ``key``: the transaction."""
        transaction = self.driver.prompt(address, ticket, 60)
        wait_until(lambda: self.sim[address].transaction == transaction, f"keypad {address} prompted")
        assert self.sim.press(address, key)
        return transaction

    def close(self) -> None:
        self.driver.close()
        if self._pty is not None:
            self._pty.close()
