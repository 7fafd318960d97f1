"""Reading a Server-Sent Events stream as a browser's EventSource does."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


def messages(lines: Iterator[str]) -> Iterator[Message]:
    """Messages from the stream's lines (requests' iter_lines(decode_unicode=True))."""
    fields: dict[str, list[str] | str] = {"data": []}
    for line in lines:
        if line == "":
            if fields["data"] or "event" in fields:
                yield Message(id=fields.get("id"), event=fields.get("event", "message"),
                              data="\n".join(fields["data"]))
            fields = {"data": []}
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                fields["data"].append(value)
            elif name in ("id", "event", "retry"):
                fields[name] = value
