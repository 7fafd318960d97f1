"""Serving the hall server for tests over real HTTP on 127.0.0.1: in a thread of the test's
process (LiveServer, sharing the test's hand clock; `reset` readies it for the next test),
or as a separate process (ServerProcess, the clock read from a file the test writes) that a
test can kill -9 and start again on the same database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import requests
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from hall import accounts, calling
from hall.api.app import create_app
from hall.api.login_limits import SourceFailures
from hall.api.server import HallServer as ServedHall
from hall.models import Base
from hall.queue import QueueEngine
from hall.schemas import DeviceKind
from hall.settings import ServerSettings
from hall.spec import load_hall
from hall.tickets import TicketInfo
from tests.conftest import ROOT
from tests.postgres import free_port
from tests.support.api_clients import Api, add_staff, staff_session
from tests.support.waiting import until

KEPT_TABLES = {"hall_secrets"}  # the signing key, which the running server holds in memory


class LiveServer:
    def __init__(self, settings: ServerSettings, clock):
        self.app = create_app(settings, clock=clock)
        self.hall = self.app.state.hall
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        until(lambda: self.server.started or not self.thread.is_alive(), seconds=30, every=0.01,
              what="the test server to start")
        if not self.server.started:
            raise RuntimeError("the test server did not start")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class FileClock:
    """The clock of a server in another process: the test sets `now`, the server reads it
    from the file at every call (see tests.support.serve)."""

    def __init__(self, path: Path, start: datetime):
        self.path = path
        self.now = start

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text())

    @now.setter
    def now(self, value: datetime) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(value.isoformat())
        os.replace(temporary, self.path)

    def __call__(self) -> datetime:
        return self.now


class ServerProcess:
    def __init__(self, *, data_dir: Path, database: str, hall_file: Path, clock: FileClock,
                 offline_after: int = 120, tls: tuple[Path, Path] | None = None):
        """`tls` (certificate, key) serves HTTPS."""
        self.args = {"data_dir": str(data_dir), "database": database, "hall_file": str(hall_file),
                     "offline_after": offline_after}
        self.clock = clock
        self.port = free_port()
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen | None = None
        data_dir.mkdir(parents=True, exist_ok=True)  # as an installer makes it, before any command

    def start(self) -> ServerProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.serve", json.dumps(self.args), str(self.clock.path),
                 str(self.port), *(map(str, self.tls or ()))], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

        def answered() -> bool:
            try:
                requests.get(f"{self.url}/api/v1/hall", timeout=1, verify=str(self.tls[0]) if self.tls else True)
                return True
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}") from None
                return False
        until(answered, seconds=60, every=0.05, what=lambda: f"the server to start:\n{self.log.read_text()[-3000:]}")
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None


class HallServer(ServerProcess):
    """A hall server in its own process, with what a test does behind its back."""

    @contextmanager
    def _engine(self) -> Iterator[QueueEngine]:
        """The server's database, reached behind its back."""
        engine = QueueEngine(load_hall(self.args["hall_file"]), self.args["database"], clock=self.clock)
        try:
            yield engine
        finally:
            engine.close()

    def register(self, device_id: str, kind: DeviceKind = DeviceKind.KIOSK, counters: tuple[str, ...] = ()) -> str:
        """A device token, made as `python -m hall add-device` makes it, in the server's database."""
        with self._engine() as engine, engine.transaction() as session:
            return accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=device_id, kind=kind,
                                       now=datetime.now(timezone.utc), spec=engine.spec, counters=list(counters))

    def issue_behind_its_back(self, service: str) -> TicketInfo:
        """A ticket issued in the server's database by another process, as a second server
        sharing the hall would: its event is in the log whether this server runs or not."""
        with self._engine() as engine:
            return engine.issue_ticket(service)

    def staff(self, job_no: str, counters=("3",)) -> Api:
        """A staff member with an account on this server, logged in through its API."""
        with self._engine() as engine:
            add_staff(engine, job_no, counters=counters)
        return staff_session(self.url, job_no)

    def rows(self, sql: str) -> list[tuple]:
        """What the server's database holds, read behind its back."""
        engine = create_engine(self.args["database"])
        try:
            with engine.connect() as con:
                return [tuple(r) for r in con.execute(text(sql))]
        finally:
            engine.dispose()


def reset(hall: ServedHall) -> None:
    """Readies a running server for the next test as if it had just started on a new
    database: every table emptied (ids from 1 again) but the hall's secrets, the counters'
    rows made again, and what the server keeps in memory forgotten: device tokens, login
    failures by source, the time it started (the watcher's offline rule counts from it)
    and the recorded announcements. Lives here only: no production server can be reset."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    for attempt in range(5):
        try:
            with hall.engine.transaction() as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY"))
                else:
                    for table in tables:
                        session.execute(table.delete())
                    if session.execute(text("select 1 from sqlite_master where name = 'sqlite_sequence'")).first():
                        session.execute(text("delete from sqlite_sequence"))
                calling.ensure_counters(session, spec=hall.spec)
            break
        except OperationalError as exc:
            # TRUNCATE locks table after table; the server's watcher, writing meanwhile (a
            # matter's notice, a prompt's end), may hold one of them and want the next:
            # PostgreSQL ends one of the two, and a reset that lost simply runs again.
            if "deadlock detected" not in str(exc) or attempt == 4:
                raise
    # The event reader must have seen the log emptied before the test writes again: a test
    # writing as many events as it had read would otherwise look to it like nothing new.
    until(lambda: hall.feed.top == 0, seconds=30, what="the server's event reader to see the emptied log")
    hall._tokens.clear()
    hall.login_sources = SourceFailures()
    hall.started = hall.clock()
    for recording in (hall.settings.data_dir / "announcements").glob("*"):
        recording.unlink()
