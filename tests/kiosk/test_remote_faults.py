"""The remote hall against a hall that answers slowly, never, or "not now": one deadline for
a call and its retries, sent with one idempotency key; reports it refuses set aside."""
from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from kiosk.hall_client import HallUnavailable
from kiosk.remote import DEADLINE, RemoteHall
from tests.conftest import write_kiosk_config
from tests.support.waiting import until
from tests.test_main import run_main


class ScriptedHall:
    """A socket on the hall server's port that reads each request and answers it with
    ``answer`` (raw HTTP bytes), or never when ``answer`` is None; it records each request's
    first line and Idempotency-Key."""

    def __init__(self, port: int, answer: bytes | None):
        self.answer = answer
        self.requests: list[tuple[str, str | None]] = []
        self.heard = threading.Condition()
        self._held: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", port))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                try:
                    chunk = connection.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                data += chunk
            head, _, data = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:])
            length = int(headers.get("Content-Length", "0"))
            while len(data) < length:
                data += connection.recv(65536)
            data = data[length:]
            with self.heard:
                self.requests.append((lines[0], headers.get("Idempotency-Key")))
                self.heard.notify_all()
            if self.answer is None:
                continue  # holds the connection, never answers
            connection.sendall(self.answer)

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def kept_definition(hall_server, tmp_path):
    """A kiosk folder that has met its server once (so it starts without it), and the
    server's port now free for a scripted hall."""
    token = hall_server.register("kiosk-01")
    folder = tmp_path / "kiosk"
    hall_server.start()
    RemoteHall(hall_server.url, token, data_dir=folder).close()
    hall_server.kill()
    return folder, token


def test_a_silent_hall_is_given_up_at_one_deadline_retried_inside_it_with_one_key(hall_server, kept_definition):
    folder, token = kept_definition
    silent = ScriptedHall(hall_server.port, None)
    hall = RemoteHall(hall_server.url, token, data_dir=folder, heartbeat_seconds=3600)
    try:
        with pytest.raises(HallUnavailable, match=f"no answer within {DEADLINE:.1f} s"):
            hall.issue_ticket("household", idempotency_key="ticket-abc")
    finally:
        hall.close()
        silent.close()
    tickets = [r for r in silent.requests if r[0].startswith("POST /api/v1/tickets ")]
    assert len(tickets) >= 2, silent.requests  # retried inside the deadline
    assert {key for _, key in tickets} == {"ticket-abc"}


def answer(status: str, retry_after: int) -> bytes:
    body = b'{"error": "busy", "message": "the database is busy"}'
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nRetry-After: {retry_after}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@pytest.mark.parametrize("retry_after,sent", [(30, 1), (1, 3)], ids=["beyond-the-deadline", "within-it"])
def test_a_busy_hall_is_asked_again_after_its_retry_after_only_within_the_deadline(
        hall_server, kept_definition, retry_after, sent):
    """503 with Retry-After: waited for and asked again with the same key when the wait fits
    in the deadline; otherwise the citizen is told at once."""
    folder, token = kept_definition
    busy = ScriptedHall(hall_server.port, answer("503 Service Unavailable", retry_after))
    hall = RemoteHall(hall_server.url, token, data_dir=folder, heartbeat_seconds=3600)
    try:
        with pytest.raises(HallUnavailable, match="HTTP 503"):
            hall.issue_ticket("household", idempotency_key="ticket-def")
    finally:
        hall.close()
        busy.close()
    tickets = [r for r in busy.requests if r[0].startswith("POST /api/v1/tickets ")]
    assert tickets == [("POST /api/v1/tickets HTTP/1.1", "ticket-def")] * sent


def test_a_report_the_hall_refuses_is_set_aside_and_shown_and_the_next_ones_arrive(hall_server, tmp_path):
    token = hall_server.register("kiosk-01")
    config = write_kiosk_config(tmp_path / "kiosk", extra_terminal=f'hall = "{hall_server.url}"\n'
                                                                    f'hall_token = "{token}"')
    folder = tmp_path / "kiosk" / "data"
    hall_server.start()
    hall = RemoteHall(hall_server.url, token, data_dir=folder)
    try:
        # A part named for another terminal: the hall answers 403 not_your_device, for ever.
        hall.report_device("kiosk-02/printer", "printer", "paper_out", "another kiosk's printer")
        # A kind this kiosk has no delivery for is not posted as a device report.
        hall._outbox.put("notice", {"ticket": "A001", "text": "hello"})
        hall.report_device("kiosk-01/printer", "printer", "paper_out", "out of paper")
        until(lambda: hall_server.rows("select device_id, status from device_status where device_id like '%printer'")
              == [("kiosk-01/printer", "paper_out")], seconds=30, every=0.1,
              what="the report after the refused one")
    finally:
        hall.close()
    result = run_main("status", "--config", str(config))
    assert result.returncode == 1, result.stderr
    assert "reports waiting to be delivered: 0" in result.stdout
    assert "reports the hall refused, set aside: 2" in result.stdout
    refused = next(line for line in result.stdout.splitlines() if "kiosk-02/printer" in line)
    assert "device_report kiosk-02/printer paper_out" in refused and "HTTP 403 not_your_device" in refused
    assert any(" notice " in line and "no delivery for entries of kind 'notice'" in line
               for line in result.stdout.splitlines()), result.stdout
    assert hall_server.rows("select count(*) from events where kind = 'device_status'") == [(1,)]


def test_an_outbox_written_before_entries_could_be_set_aside_keeps_its_entries(tmp_path):
    import sqlite3

    from kiosk.outbox import Outbox

    path = tmp_path / "outbox.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
                "body TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)")
    old.execute("INSERT INTO outbox (key, kind, body, created_at) VALUES ('k1', 'device_report', '{}', 0)")
    old.commit()
    old.close()
    outbox = Outbox(path)
    try:
        assert [e.key for e in outbox.pending()] == ["k1"] and outbox.set_aside() == []
        outbox.refuse("k1", "HTTP 403")
        assert len(outbox) == 0 and [(e.key, e.refused) for e in outbox.set_aside()] == [("k1", "HTTP 403")]
    finally:
        outbox.close()
