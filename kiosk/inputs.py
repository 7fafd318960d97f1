"""What reaches the ticket kiosk besides touches: ID cards on the reader, codes from the serial
(or USB-CDC) scanner, from a keyboard-wedge scanner read from its input device with the
kernel's key times (kiosk.keyboard_scan tells its bursts from typing), and from the camera,
where these are set. (A keyboard-wedge scanner not set here types into the window: the
screen layer feeds kiosk.keyboard_scan with its keys.)

Each device runs on a thread of its own and hands what it read to the flow through `post`,
which runs a call on the flow's thread (the Kivy clock in the app), the way a job's result
comes back. `start` is called on that thread, so it opens no port and tells the hall nothing
itself: each device's thread opens its port (a serial server may take seconds to answer) and
reports a device that cannot be opened or fails to the hall for staff (the embedded hall's
database may be busy for as long), and `ok` once it is back; the kiosk goes on with the
others and with touches.

Codes and unreadable scans pass a slot each (`Latest`): while one waits for the flow's
thread, a newer one takes its place instead of queueing behind it, so a scanner that floods
the kiosk never grows its backlog beyond one of each.
"""
from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from devices.errors import DeviceError, UnreadableScan
from kiosk.card_watch import CardWatch
from kiosk.config import Settings
from kiosk.flow import TicketFlow
from kiosk.keyboard_scan import ENTER, KeyBurstDetector, Scanned

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]


class Latest:
    """One value on its way from a device's thread to the flow's: ``put`` posts a delivery
    unless one is already waiting, which then delivers the newest value."""

    def __init__(self, post: Post, deliver: Callable[[object], None]):
        self._post = post
        self._deliver = deliver
        self._lock = threading.Lock()
        self._value: object = None
        self._waiting = False

    def put(self, value: object) -> None:
        with self._lock:
            self._value = value
            if self._waiting:
                return
            self._waiting = True
        self._post(self._hand_over)

    def _hand_over(self) -> None:
        with self._lock:
            value, self._value, self._waiting = self._value, None, False
        self._deliver(value)


class Inputs:
    def __init__(self, settings: Settings, flow: TicketFlow, post: Post):
        self.settings = settings
        self.flow = flow
        self.post = post
        self._codes = Latest(post, flow.code_scanned)
        self._unreadable = Latest(post, flow.scan_failed)
        self.card_watch: CardWatch | None = None
        self.scanner = None
        self.key_scanner = None
        self.camera = None
        self._keys = KeyBurstDetector()  # the keyboard scanner's thread alone uses it

    def start(self) -> Inputs:
        devices = self.settings.devices
        flow, hall = self.flow, self.flow.hall
        self.card_watch = CardWatch(
            devices.id_reader, salt=hall.person_salt, case_salt=hall.case_salt, today=flow.today,
            on_card=lambda outcome: self.post(functools.partial(flow.card_placed, outcome)),
            on_reader=lambda status: self.post(functools.partial(flow.reader_changed, status)),
            report=functools.partial(self._report, "id_reader")).start()
        from devices.scanner import Scanner

        self.scanner = self._open("scanner", devices.scanner, lambda: Scanner(
            devices.scanner, on_code=self._code, on_problem=functools.partial(self._problem, "scanner"),
            on_back=functools.partial(self._report, "scanner", "ok", "")).start())
        if devices.keyboard_scanner:
            from devices.key_scanner import KeyScanner

            self.key_scanner = self._open("keyboard_scanner", devices.keyboard_scanner, lambda: KeyScanner(
                devices.keyboard_scanner, on_key=self._key,
                on_problem=functools.partial(self._problem, "keyboard_scanner"),
                on_back=functools.partial(self._report, "keyboard_scanner", "ok", "")).start())
        if devices.camera:
            from devices.camera import open_camera  # PyAV, on a kiosk with a camera only

            self.camera = self._open("camera", devices.camera, functools.partial(
                open_camera, devices.camera, on_code=self._code, on_problem=functools.partial(self._problem, "camera"),
                decoder=devices.camera_decoder))
        return self

    def close(self) -> None:
        for device in (self.card_watch, self.scanner, self.key_scanner, self.camera):
            if device is not None:
                device.close()

    def _open(self, kind: str, url: str, opener: Callable[[], object]):
        """A scanner of codes started, or None (logged) for a URL that kiosk.config should
        have refused; its thread opens its port."""
        try:
            return opener()
        except DeviceError as exc:
            log.error("%s %s not started: %s", kind, url, exc)
            return None

    def _code(self, text: str) -> None:
        self._codes.put(text)

    def _key(self, char: str, at: float) -> None:
        """A key from the keyboard scanner, at the time the kernel took it: a burst ended by
        Enter is a code; typing means nothing to the kiosk."""
        found = self._keys.enter(at) if char == ENTER else self._keys.key(char, at)
        for item in found:
            if isinstance(item, Scanned):
                self._codes.put(item.text)

    def _problem(self, kind: str, error: DeviceError) -> None:
        if isinstance(error, UnreadableScan):
            self._unreadable.put(error)
        else:
            self._report(kind, "unavailable", str(error))

    def _report(self, kind: str, status: str, detail: str) -> None:
        try:
            self.flow.hall.report_device(f"{self.flow.terminal_id}/{kind}", kind, status, detail[:500])
        except Exception as exc:  # HallUnavailable: staff hear of it at the next change
            log.warning("%s status %s not reported: %r", kind, status, exc)
