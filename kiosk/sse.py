"""The Server-Sent Events format (the WHATWG HTML standard, "Interpreting an event stream"),
read from bytes as they come off the network: a pure framer that a test feeds split, glued
or garbled chunks and that never raises on what a server or a broken proxy sends.

Lines end with LF, CR or CR LF (a CR at the end of one chunk and an LF at the start of the
next are one line end); a line starting with ":" is a comment (the server's keepalive); an
empty line ends a message, which is given only if it had a data line. ``retry``
takes only digits. Undecodable bytes become U+FFFD, and a line longer than MAX_LINE is
dropped whole, so garbage without line ends cannot grow the buffer without bound.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

MAX_LINE = 1 << 20  # characters; an event of the hall is a few hundred


@dataclass(frozen=True)
class Message:
    event: str           # "message" when the stream names none
    data: str            # the data lines joined with "\n"
    id: str | None       # the message's own id field, if it had one


class SseFramer:
    """Fed chunks of the stream, gives the whole messages in them; ``retry`` is the last
    reconnection time (ms) the stream asked for, None until it asks."""

    def __init__(self) -> None:
        self.retry: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._skipping = False        # inside a line too long to keep, until its end
        self._after_cr = False        # the last chunk ended with CR: an LF first in the next is that line's end
        self._first = True            # a byte order mark is dropped at the start of the stream only
        self._fields: dict[str, str] = {}
        self._data: list[str] = []

    def data_received(self, chunk: bytes) -> list[Message]:
        text = self._decoder.decode(chunk)
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
        self._after_cr = text.endswith("\r")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        out: list[Message] = []
        for line in lines[:-1]:
            whole = self._partial + line
            self._partial = ""
            if self._skipping:
                self._skipping = False
                continue
            message = self._line(whole)
            if message is not None:
                out.append(message)
        self._partial += lines[-1]
        if len(self._partial) > MAX_LINE:
            self._partial = ""
            self._skipping = True
        return out

    def _line(self, line: str) -> Message | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._fields["event"] = value
        elif name == "id" and "\0" not in value:
            self._fields["id"] = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> Message | None:
        fields, data = self._fields, self._data
        self._fields, self._data = {}, []
        if not data:  # the standard's rule: a message without data is not given
            return None
        return Message(event=fields.get("event") or "message", data="\n".join(data), id=fields.get("id"))
