"""The port surface our ``sim<device>://`` simulators share: a pyserial port with a device behind it.

A driver opens a simulator through ``serial_for_url`` exactly like a real port, so everything
from the URL to the bytes is the production path. The port only moves bytes: what the host
writes goes to ``device.receive(data)``, whose return value (the device's immediate answer)
and whatever the device sends on its own (``deliver``, a scanner's code) wait in the input
buffer for ``read`` with the port's timeout, as a real port does. It can also pace replies at
a wire speed, and be pulled out (``unplug``) like a USB-serial cable.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, TypeVar

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from devices.errors import BadDeviceUrl
from devices.port_url import simulator_options

# Paced replies become readable in pieces of this size, as a UART's FIFO hands them on.
_PACE_CHUNK = 32
_BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit


class SimulatedDevice(Protocol):
    def receive(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the device answers at once (maybe nothing)."""


D = TypeVar("D")


class SimulatedPort(SerialBase):
    """Subclasses build their device from the URL in :meth:`from_url`."""

    def __init__(self, *args, **kwargs) -> None:
        self.device: SimulatedDevice | None = None
        self.pace_baudrate: int | None = None  # None: replies readable at once
        self.unplugged = False
        self._input = bytearray()
        self._incoming: deque[tuple[float, bytes]] = deque()  # (readable at, bytes) when paced
        self._wire_free_at = 0.0
        self._cancelled = False
        self._ready = threading.Condition()
        super().__init__(*args, **kwargs)

    def from_url(self, url: str) -> SimulatedDevice:
        raise NotImplementedError

    def device_from_url(self, url: str, scheme: str, expected_form: str,
                        read_option: Callable[[str, str, dict[str, object]], None],
                        build: Callable[..., D]) -> D:
        """The device a ``sim<device>://`` URL describes, built with ``build(**options)``.

        Two options every simulator takes are read here: ``baudrate`` paces this port's
        replies, ``fault_times`` (0 or more) goes to the device; ``read_option(option, value,
        options)`` reads the others into ``options``. Any ValueError, from an option or from
        the device refusing it, becomes a BadDeviceUrl showing the expected form.
        """
        options: dict[str, object] = {}
        self.pace_baudrate = None
        try:
            for option, value in simulator_options(url, scheme, expected_form).items():
                if option == "baudrate":
                    self.pace_baudrate = int(value)
                    if self.pace_baudrate <= 0:
                        raise ValueError("baudrate must be above 0")
                elif option == "fault_times":
                    options["fault_times"] = int(value)
                    if options["fault_times"] < 0:
                        raise ValueError("fault_times must be 0 or more")
                else:
                    read_option(option, value, options)
            return build(**options)
        except BadDeviceUrl:
            raise
        except ValueError as e:
            raise BadDeviceUrl(f"expected a URL of the form {expected_form}: {e}") from None

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        self.device = self.from_url(self.portstr)
        self.is_open = True
        self.reset_input_buffer()

    def _device(self) -> SimulatedDevice:
        if not self.is_open or self.device is None:
            raise PortNotOpenError()
        if self.unplugged:
            raise SerialException(5, "Input/output error (simulated: the device was unplugged)")
        return self.device

    def unplug(self) -> None:
        """From now on every read and write fails as on a vanished USB-serial device."""
        with self._ready:
            self.unplugged = True
            self._ready.notify_all()

    def _reconfigure_port(self) -> None:
        """Line settings mean nothing to a simulated device."""

    def close(self) -> None:
        with self._ready:
            self.is_open = False
            self._ready.notify_all()

    def deliver(self, data: bytes) -> None:
        """Bytes from the device to the host: readable now, or at the wire's pace."""
        if not data:
            return
        with self._ready:
            if self.pace_baudrate is None:
                self._input += data
            else:
                per_byte = _BITS_PER_BYTE / self.pace_baudrate
                at = max(self._wire_free_at, time.monotonic())
                for start in range(0, len(data), _PACE_CHUNK):
                    piece = data[start : start + _PACE_CHUNK]
                    at += len(piece) * per_byte
                    self._incoming.append((at, piece))
                self._wire_free_at = at
            self._ready.notify_all()

    def _arrived(self) -> float | None:
        """Move paced bytes whose time has come into the input; the next arrival time, if any."""
        now = time.monotonic()
        while self._incoming and self._incoming[0][0] <= now:
            self._input += self._incoming.popleft()[1]
        return self._incoming[0][0] if self._incoming else None

    @property
    def in_waiting(self) -> int:
        self._device()
        with self._ready:
            self._arrived()
            return len(self._input)

    @property
    def out_waiting(self) -> int:
        return 0

    def read(self, size: int = 1) -> bytes:
        """Up to ``size`` bytes, waiting at most ``timeout`` seconds as a real port does."""
        self._device()
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        with self._ready:
            while True:
                next_arrival = self._arrived()
                if self._cancelled:  # cancel_read() ends this read, or the next one, once
                    self._cancelled = False
                    break
                if len(self._input) >= size or not self.is_open:
                    break
                if self.unplugged:
                    raise SerialException(5, "Input/output error (simulated: the device was unplugged)")
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                waits = [t - now for t in (deadline, next_arrival) if t is not None]
                self._ready.wait(min(waits) if waits else None)
            data = bytes(self._input[:size])
            del self._input[:size]
        return data

    def write(self, data: bytes) -> int:
        data = bytes(data)
        device = self._device()
        if self.pace_baudrate is not None:  # the device hears the request only once it is all sent
            with self._ready:
                sent = time.monotonic() + len(data) * _BITS_PER_BYTE / self.pace_baudrate
                self._wire_free_at = max(self._wire_free_at, sent)
        self.deliver(device.receive(data))
        return len(data)

    def flush(self) -> None:
        self._device()

    def reset_input_buffer(self) -> None:
        with self._ready:
            self._input.clear()
            self._incoming.clear()
            self._wire_free_at = 0.0

    def reset_output_buffer(self) -> None:
        """Nothing waits in an output buffer: writes reach the device at once."""

    def cancel_read(self) -> None:
        with self._ready:
            self._cancelled = True
            self._ready.notify_all()

    def _update_break_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True


def serve_fd(fd: int, device: SimulatedDevice, stop: threading.Event) -> None:
    """Play ``device`` on a file descriptor (a pty's master side) until ``stop`` is set or the
    descriptor closes: a driver then talks to the simulator through a real tty."""
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # the other side closed
            return
        if not data:
            return
        reply = device.receive(data)
        if reply:
            os.write(fd, reply)
