"""Reading a Server-Sent Events stream as a browser's EventSource does."""
from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from kiosk.sse import SseFramer


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


def messages(lines: Iterator[str]) -> Iterator[Message]:
    """Messages from the stream's lines (requests' iter_lines(decode_unicode=True)), framed
    as a terminal frames them (kiosk.sse)."""
    framer = SseFramer()
    for line in lines:
        for message in framer.data_received(line.encode() + b"\n"):
            yield Message(id=message.id, event=message.event, data=message.data)


class Listener:
    """An SSE client reading in a thread, as a hall display's browser does."""

    def __init__(self, api, last_event_id: str | None = None):
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        # A session of its own, as a browser's EventSource holds its own connection: the
        # caller's requests go on while the stream is read and when it is hung up.
        self.http = requests.Session()
        self.http.headers.update(api.http.headers)
        self.http.cookies.update(api.http.cookies)
        self.response = self.http.get(api.base + "/api/v1/events", headers=headers, stream=True, timeout=10)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.received: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for message in messages(self.response.iter_lines(decode_unicode=True)):
                self.received.put(message)
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def next(self, timeout: float = 10):
        return self.received.get(timeout=timeout)

    def until(self, kind: str):
        while (message := self.next()).event != kind:
            pass
        return message

    def close(self) -> None:
        """Hangs up at once: closing the response alone would wait for the reader's recv."""
        connection = self.response.raw.connection
        if connection is not None and connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
        self.response.close()
        self.http.close()
