"""A keyboard-wedge scanner read from its own Linux input device, with the kernel's times.

A scanner in USB keyboard mode types each code and presses Enter; the kiosk tells its burst
of keys from a person typing by the gaps between them (kiosk.keyboard_scan). Typed into the
kiosk's window, each key is timed when the window gets round to it: a window busy for a
fifth of a second in the middle of a code makes a gap that was never there, and the code
was split into "typing" and refused. Read here, from the scanner's input device, each key
comes with the time the kernel took it (``struct input_event``), so the burst is judged by
the keys' own times however late they are read; and the kiosk takes the device for itself
(EVIOCGRAB), so its keys no longer type into the window. The URL names the device::

    evdev:///dev/input/by-id/usb-SCANNER-event-kbd

A reader thread calls ``on_key(char, at)`` for each key pressed (ENTER for Enter; ``at`` in
seconds on the monotonic clock, which the kernel is asked to use) and ``on_problem`` with a
ScannerUnavailable once when the device cannot be read, opening it again every 2 s.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import select
import struct
import threading
import urllib.parse
from collections.abc import Callable

from devices.errors import BadDeviceUrl, ScannerError, ScannerUnavailable
from devices.port_url import reject_options, url_scheme

logger = logging.getLogger(__name__)

EXPECTED_FORM = "evdev:///dev/input/by-id/usb-SCANNER-event-kbd"
ENTER = "\n"
REOPEN_AFTER = 2.0
# struct input_event on 64-bit Linux: struct timeval (seconds, microseconds), type, code, value.
INPUT_EVENT = struct.Struct("llHHi")
EV_KEY = 1
PRESSED = 1  # value of a key going down (0 up, 2 auto-repeat)
EVIOCGRAB = 0x40044590      # _IOW('E', 0x90, int): this reader alone gets the device's keys
EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int): the clock the kernel stamps events with
CLOCK_MONOTONIC = 1
SHIFTS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
ENTERS = {28, 96}  # KEY_ENTER, KEY_KPENTER
# Key codes (linux/input-event-codes.h) to the characters of a US layout, plain and shifted:
# what scanners in keyboard mode are set up for; booking codes and ticket links are ASCII.
_ROWS = {2: ("1234567890-=", "!@#$%^&*()_+"), 16: ("qwertyuiop[]", "QWERTYUIOP{}"),
         30: ("asdfghjkl;'`", 'ASDFGHJKL:"~'), 44: ("zxcvbnm,./", "ZXCVBNM<>?")}
KEYS: dict[int, tuple[str, str]] = {code + i: (plain[i], shifted[i])
                                    for code, (plain, shifted) in _ROWS.items() for i in range(len(plain))}
KEYS[43] = ("\\", "|")
KEYS[57] = (" ", " ")


def device_path(url: str) -> str:
    """The input device an ``evdev://`` URL names; BadDeviceUrl otherwise."""
    parts = urllib.parse.urlsplit(url)
    if url_scheme(url) != "evdev" or parts.netloc or not parts.path.strip("/"):
        raise BadDeviceUrl(f"{url!r}: expected {EXPECTED_FORM}")
    reject_options(url, parts.query, EXPECTED_FORM)
    return urllib.parse.unquote(parts.path)


class KeyScanner:
    """The reader thread of one input device; ``close()`` stops it."""

    def __init__(self, url: str, *, on_key: Callable[[str, float], None],
                 on_problem: Callable[[ScannerError], None], on_back: Callable[[], None] = lambda: None) -> None:
        self.url = url
        self.path = device_path(url)
        self.on_key = on_key
        self.on_problem = on_problem
        self.on_back = on_back
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"key scanner {url}", daemon=True)

    def start(self) -> KeyScanner:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def _run(self) -> None:
        told = False
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as e:
                if not told:
                    logger.error("keyboard scanner %s cannot be opened: %s; trying again every %.0f s",
                                 self.url, e.strerror, REOPEN_AFTER)
                    self._call(self.on_problem, ScannerUnavailable(
                        f"keyboard scanner {self.url} cannot be opened ({e.strerror}): is it plugged in?", url=self.url))
                    told = True
                self._stop.wait(REOPEN_AFTER)
                continue
            if told:
                self._call(self.on_back)
                told = False
            try:
                self._take(fd)
                self._read(fd)
            finally:
                os.close(fd)
            if not self._stop.is_set():
                told = True
                self._call(self.on_problem, ScannerUnavailable(
                    f"keyboard scanner {self.url} stopped: is it plugged in?", url=self.url))
                self._stop.wait(REOPEN_AFTER)

    def _take(self, fd: int) -> None:
        """Asks the kernel for monotonic times and for the device's keys alone; a file that
        is no input device (a test's FIFO) takes neither and is read all the same."""
        for request, value in ((EVIOCSCLOCKID, CLOCK_MONOTONIC), (EVIOCGRAB, 1)):
            try:
                fcntl.ioctl(fd, request, struct.pack("i", value))
            except OSError as e:
                if e.errno not in (errno.ENOTTY, errno.EINVAL):
                    raise

    def _read(self, fd: int) -> None:
        """Reads events until close() or the device goes away."""
        shifted = False
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, INPUT_EVENT.size * 64)
            except BlockingIOError:
                continue
            except OSError as e:
                logger.error("keyboard scanner %s: %s", self.url, e.strerror)
                return
            if not data:  # the writer of a FIFO went away; a device never reads empty
                return
            pending += data
            whole = len(pending) - len(pending) % INPUT_EVENT.size
            for seconds, micros, kind, code, value in INPUT_EVENT.iter_unpack(pending[:whole]):
                if kind != EV_KEY:
                    continue
                if code in SHIFTS:
                    shifted = value != 0
                elif value == PRESSED and (code in ENTERS or code in KEYS):
                    char = ENTER if code in ENTERS else KEYS[code][shifted]
                    self._call(self.on_key, char, seconds + micros / 1e6)
            pending = pending[whole:]

    def _call(self, callback: Callable, *arguments: object) -> None:
        try:
            callback(*arguments)
        except Exception:
            logger.exception("keyboard scanner %s: the key handler failed", self.url)
