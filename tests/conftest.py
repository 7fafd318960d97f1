"""Fixtures shared by every test package: a terminal configured into a temporary folder."""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.postgres import PostgresServer, PostgresUnavailable

pytest_plugins = ["tests.browser"]  # one browser for every package that opens web pages

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_HALL = ROOT / "config" / "hall.toml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DATABASES = ("sqlite", "postgresql")
# A Wednesday morning inside the sample hall's opening hours.
OPEN_MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)

# python-escpos re-pickles its printer capabilities on every import unless pointed at a kept
# folder (devices.printer creates it).
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR",
                      str(ROOT / ".pytest_cache" / f"escpos{os.environ.get('PYTEST_XDIST_WORKER', '')}"))

# The suite runs on two workers (pytest-xdist, --dist loadgroup): each file's tests on one
# worker, so that a module's server is started once; and every test that opens a window on
# the virtual screen on the same worker, one window at a time, as on a terminal.
ON_SCREEN = ("tests/screens/", "tests/test_main.py", "tests/test_fresh_clone.py", "tests/test_benchmarks.py",
             "tests/kiosk/test_remote_hall.py", "tests/kiosk/test_config.py")


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        path = Path(item.path).relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group("screen" if path.startswith(ON_SCREEN) else path))


class Clock:
    """A wall clock a test moves by hand; the hall reads it for days and opening hours."""

    def __init__(self, start: datetime = OPEN_MORNING):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def write_kiosk_config(folder: Path, *, printer: str = "simprinter://", extra_terminal: str = "",
                       hall_file: Path = SAMPLE_HALL, extra_devices: str = 'id_reader = "simidcard://?present=0"') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    path.write_text(f"""
[terminal]
id = "test-kiosk"
data_dir = "data"
{extra_terminal}

[devices]
printer = "{printer}"
{extra_devices}

[embedded]
hall_file = "{hall_file}"
""", encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kiosk_config(tmp_path) -> Path:
    return write_kiosk_config(tmp_path / "terminal")


@pytest.fixture
def hall_copy(tmp_path) -> Path:
    """A copy of the sample hall a test may edit."""
    path = tmp_path / "hall.toml"
    shutil.copy(SAMPLE_HALL, path)
    return path


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the whole run; a test that needs it fails if it cannot start."""
    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as exc:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {exc}", pytrace=False)
    yield server
    server.stop()
