"""The hall's live events for a terminal: GET /api/v1/events read on a thread of its own,
for as long as the terminal runs.

- Each event is handed on once and in order: after a dropped stream or a restarted server the
  reader asks again with Last-Event-ID, and the server sends what came after it, also what was
  written while the stream was down. Without a position the server opens with ``ready`` (the
  last event id now), and the reader goes on from there.
- A failure (refused, cut, silent for longer than the server's keepalive allows, a 5xx) is
  tried again after the server's ``retry`` time, doubled after each failure in a row up to
  MAX_BACKOFF, with some jitter so that a hall's terminals do not all come back at once.
- ``on_connection`` hears each change between connected and not, so a screen or the hall's
  device page can say that live news has stopped.
- There is no deadline for the whole: it reads until ``close()``, which hangs up at once.
"""
from __future__ import annotations

import json
import logging
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests

from kiosk.sse import Message, SseFramer

log = logging.getLogger(__name__)

PATH = "/api/v1/events"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0        # s of silence: the server sends a keepalive after 15 quiet seconds
FIRST_BACKOFF = 1.0        # s, until the server has said its retry time
MAX_BACKOFF = 30.0
JITTER = 0.2               # share of a wait added at random
SKIPPED = frozenset({"ready", "tick"})  # the stream's own messages, no event of the hall


@dataclass(frozen=True)
class LiveEvent:
    id: int
    kind: str
    data: dict  # the event as docs/api.md, Live events, gives it: id, kind, at, ticket_id, counter, payload


class LiveEvents:
    def __init__(self, base_url: str, token: str, *, on_event: Callable[[LiveEvent], None],
                 on_connection: Callable[[bool], None] | None = None, after: int | None = None,
                 session: requests.Session | None = None) -> None:
        """`after`: the last event already seen (None: from now on). Callbacks run on the
        reader's thread; one that raises is logged and the stream goes on."""
        self.url = base_url.rstrip("/") + PATH
        self.position = after
        self._on_event = on_event
        self._on_connection = on_connection
        self._http = session or requests.Session()
        self._own_session = session is None
        self._token = token
        self._connected = False
        self._opened = False  # the stream being read was opened: a failure after it is the first in a row
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._response: requests.Response | None = None
        self._thread = threading.Thread(target=self._run, name="live events", daemon=True)

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> LiveEvents:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stops reading: the stream open now is cut, not waited out."""
        self._closing.set()
        with self._lock:
            response = self._response
        if response is not None:
            _hang_up(response)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._own_session:
            self._http.close()

    # -- the reader's thread ---------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        retry_ms: int | None = None
        while not self._closing.is_set():
            framer = SseFramer()
            self._opened = False
            try:
                self._read(framer)
                problem = "the stream ended"
            except Exception as exc:  # whatever breaks one stream, the next is tried: the reader never stops
                problem = f"{type(exc).__name__}: {exc}"
            opened = self._opened
            retry_ms = framer.retry if framer.retry is not None else retry_ms
            self._set_connected(False)
            if self._closing.is_set():
                return
            failures = 1 if opened else failures + 1
            wait = min(MAX_BACKOFF, (FIRST_BACKOFF if retry_ms is None else retry_ms / 1000) * 2 ** (failures - 1))
            wait *= 1 + random.uniform(0, JITTER)
            log.log(logging.INFO if failures == 1 else logging.DEBUG, "live events from %s: %s; again in %.1f s",
                    self.url, problem, wait)
            self._closing.wait(wait)

    def _read(self, framer: SseFramer) -> None:
        """Reads one stream until it ends; ``_opened`` tells whether it was opened (the
        failures in a row start again)."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/event-stream"}
        if self.position is not None:
            headers["Last-Event-ID"] = str(self.position)
        # The session's own CA bundle passed with the request: REQUESTS_CA_BUNDLE would override it.
        response = self._http.get(self.url, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                  verify=self._http.verify)
        with self._lock:
            self._response = response
        try:
            if self._closing.is_set():
                return
            if response.status_code != 200:
                raise requests.HTTPError(f"HTTP {response.status_code}: {response.text[:200]}", response=response)
            self._opened = True
            self._set_connected(True)
            for chunk in response.iter_content(chunk_size=None):
                for message in framer.data_received(chunk):
                    self._take(message)
                if self._closing.is_set():
                    break
        finally:
            with self._lock:
                self._response = None
            response.close()

    def _take(self, message: Message) -> None:
        event_id = _event_id(message.id)
        if event_id is None:
            if message.event not in SKIPPED:
                log.warning("live events: a %r message without an event id %r, ignored", message.event, message.id)
            return
        if self.position is not None and event_id <= self.position:
            log.warning("live events: event %d again after %d, ignored", event_id, self.position)
            return
        self.position = event_id
        if message.event in SKIPPED:
            return
        try:
            data = json.loads(message.data)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            log.warning("live events: event %d (%s) carries no JSON object, skipped: %r", event_id, message.event,
                        message.data[:200])
            return
        self._call(self._on_event, LiveEvent(id=event_id, kind=message.event, data=data))

    def _set_connected(self, connected: bool) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        if connected:
            log.info("live events from %s: connected after event %s", self.url, self.position)
        if self._on_connection is not None:
            self._call(self._on_connection, connected)

    def _call(self, callback: Callable, *arguments: object) -> None:
        try:
            callback(*arguments)
        except Exception:
            log.exception("live events: a handler failed")


def _event_id(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else None


def _hang_up(response: requests.Response) -> None:
    """Cuts the connection under a reader waiting in recv: closing the response alone would
    wait for the read to end."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed
    response.close()
