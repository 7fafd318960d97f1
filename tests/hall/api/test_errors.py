"""A full disk, for real: the hall's database on a small tmpfs (mounted as root, the way the
tests run) filled to the last byte. SQLite answers SQLITE_FULL, PostgreSQL SQLSTATE 53100
(its tables in a tablespace on that disk); either is told as a full disk, not as a database
that cannot be reached."""
from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hall import accounts
from hall.schemas import DeviceKind
from hall.settings import ServerSettings
from tests.conftest import SAMPLE_HALL
from tests.hall.api.conftest import Api
from tests.support.servers import LiveServer

TICKETS = 150  # more than enough to fill the last free pages; under the service's daily quota


@pytest.fixture
def small_disk():
    """A 2 MB tmpfs in a folder that the postgres user can reach too."""
    folder = Path(tempfile.mkdtemp(prefix="hall-disk-"))
    folder.chmod(0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0777", "tmpfs", str(folder)], check=True)
    yield folder
    # Detached at once, and freed by the kernel once the last file on it is closed: a
    # connection caught in the full disk's traceback holds its file until its frames are
    # collected, which no teardown can time.
    subprocess.run(["umount", "--lazy", str(folder)], check=True)
    folder.rmdir()


@pytest.fixture
def database_on(small_disk, request, tmp_path):
    """The hall's database on the small disk: SQLite's file, or PostgreSQL's tables."""
    if request.param == "sqlite":
        yield ""  # the server's default: hall.db in its data folder, on the small disk
        return
    postgres = request.getfixturevalue("postgres")
    space = small_disk / "pg"
    space.mkdir()
    shutil.chown(space, "postgres")
    url = postgres.reset()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f"CREATE TABLESPACE small LOCATION '{space}'"))
        con.execute(text("ALTER DATABASE postgres SET default_tablespace = small"))
    try:
        yield url
    finally:
        with admin.connect() as con:
            con.execute(text("ALTER DATABASE postgres RESET default_tablespace"))
            con.execute(text("DROP SCHEMA public CASCADE"))
            con.execute(text("CREATE SCHEMA public"))
            con.execute(text("DROP TABLESPACE small"))
        admin.dispose()


def fill(disk: Path) -> Path:
    """Writes a file until the disk takes no more."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.mark.parametrize("database_on", ["sqlite", "postgresql"], indirect=True)
def test_a_full_disk_is_told_as_a_full_disk(small_disk, database_on, clock, caplog):
    """Before: 503 database_unavailable, "the hall's database cannot be reached"."""
    settings = ServerSettings(data_dir=small_disk / "server", database=database_on, hall_file=SAMPLE_HALL)
    live = LiveServer(settings, clock)
    try:
        with live.hall.engine.transaction() as session:
            token = accounts.add_device(session, hall_id=live.hall.hall_id, device_id="kiosk-01",
                                        kind=DeviceKind.KIOSK, now=clock())
        kiosk = Api(live.url, token)
        assert kiosk.post("/api/v1/tickets", {"service": "social_security"}).status_code == 201
        filler = fill(small_disk)
        caplog.set_level(logging.ERROR, logger="hall.api.errors")
        for _ in range(TICKETS):
            answer = kiosk.post("/api/v1/tickets", {"service": "social_security"})
            if answer.status_code != 201:
                break
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "disk_full" and "disk is full" in answer.json()["message"]
        assert "disk is full" in caplog.text and "cannot be reached" not in answer.text
        os.unlink(filler)
        assert kiosk.post("/api/v1/tickets", {"service": "social_security"}).status_code == 201
    finally:
        live.stop()
