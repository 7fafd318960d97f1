"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, trust auth, no
fsync, listening on 127.0.0.1 on a free port, stopped and deleted at the end.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (runuser).
If it cannot start, the tests that need it fail with the reason: they are never skipped
silently (scripts/setup.sh --test installs it).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text


class PostgresUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise PostgresUnavailable(f"{name} not found: install PostgreSQL (bash scripts/setup.sh --test)")
    return found[-1]


class PostgresServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hall-pg-"))
        self.port = free_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        self._run(_binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(_binary("pg_ctl"), "-D", str(data), "-l", str(self.folder / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        except PostgresUnavailable:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def reset(self) -> str:
        """An empty database for the next test: the public schema dropped and made again."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as con:
                con.execute(text("DROP SCHEMA public CASCADE"))
                con.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        return self.url

    def database(self, name: str) -> str:
        """A second database on this server, made empty again for each caller, beside the
        one reset() empties."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as con:
                con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                con.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as_postgres, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(command)} failed ({result.returncode}):\n"
                                      f"{result.stdout}{result.stderr}{tail}")
