"""Serving the hall server for tests over real HTTP on 127.0.0.1: in a thread of the test's
process (LiveServer, sharing the test's hand clock), or as a separate process
(ServerProcess, the clock read from a file the test writes) that a test can kill -9 and
start again on the same database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import requests
import uvicorn

from hall.api.app import create_app
from hall.settings import ServerSettings
from tests.conftest import ROOT
from tests.postgres import free_port


class LiveServer:
    def __init__(self, settings: ServerSettings, clock):
        self.app = create_app(settings, clock=clock)
        self.hall = self.app.state.hall
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class FileClock:
    """The clock of a server in another process: the test sets `now`, the server reads it
    from the file at every call (see tests.hall.api.serve)."""

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
                [sys.executable, "-m", "tests.hall.api.serve", json.dumps(self.args), str(self.clock.path),
                 str(self.port), *(map(str, self.tls or ()))], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{self.url}/api/v1/hall", timeout=1, verify=str(self.tls[0]) if self.tls else True)
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.05)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None
