"""python -m hall as an installer uses it: accounts made on the command line, then the real
`serve` answering with them."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from tests.postgres import free_port
from tests.support.waiting import until


def hall(*args: str, stdin: str = "", env: dict | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hall", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def refused(result: subprocess.CompletedProcess, reason: str) -> bool:
    """Exit code 2 and one line on standard error that says what to fix."""
    lines = result.stderr.strip().splitlines()
    return result.returncode == 2 and len(lines) == 1 and reason in lines[0] and "Traceback" not in result.stderr


def test_accounts_from_the_command_line_then_serve(tmp_path):
    data = ["--data-dir", str(tmp_path)]
    device = hall("add-device", "kiosk-01", "--kind", "kiosk", *data)
    assert device.returncode == 0, device.stderr
    token = device.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and "shown only now" in device.stdout
    again = hall("add-device", "kiosk-01", "--kind", "kiosk", *data)
    assert again.returncode == 1 and "--new-token" in again.stderr
    staff = hall("add-staff", "1001", "--name", "王芳", "--role", "staff", "--counters", "1,2", *data,
                 stdin="a good password\n")
    assert staff.returncode == 0, staff.stderr
    with sqlite3.connect(tmp_path / "hall.db") as con:
        (token_hash,) = con.execute("select token_hash from devices").fetchone()
        (password_hash,) = con.execute("select password_hash from staff").fetchone()
    assert token not in token_hash and len(token_hash) == 64
    assert password_hash.startswith("$argon2id$")
    assert hall("add-staff", "1002", "--name", "x", "--role", "staff", "--counters", "99", *data,
                stdin="a good password\n").returncode == 1
    assert "no counter '99'" in hall("add-staff", "1002", "--name", "x", "--role", "staff", "--counters", "99",
                                     *data, stdin="a good password\n").stderr

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hall", "serve", "--port", str(port), *data], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        def answered() -> requests.Response | None:
            assert server.poll() is None, "the server ended"
            try:
                return requests.get(f"{url}/hall", headers={"Authorization": f"Bearer {token}"}, timeout=2)
            except requests.ConnectionError:
                return None
        answer = until(answered, seconds=60, every=0.1, what="the server to answer")
        assert answer.status_code == 200 and answer.json()["hall"]["id"] == "chengguan"
        login = requests.post(f"{url}/session", json={"job_no": "1001", "password": "a good password"}, timeout=10)
        assert login.status_code == 200 and login.json()["counters"] == ["1", "2"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_a_new_database_is_made_without_alembic_chatter(tmp_path):
    made = hall("migrate", "--data-dir", str(tmp_path))
    assert made.returncode == 0 and "schema up to date" in made.stdout
    assert "setup plugin" not in made.stderr, made.stderr


def test_bad_options_exit_2_with_the_reason(tmp_path):
    result = hall("serve", "--database", "mysql://hall@localhost/hall", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "use PostgreSQL or SQLite" in result.stderr and "Traceback" not in result.stderr
    result = hall("serve", "--hall", str(tmp_path / "none.toml"), "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "file not found" in result.stderr
    result = hall("add-staff", "1001", "--name", "x", "--role", "staff", "--counters", "1",
                  "--data-dir", str(tmp_path), stdin="short\n")
    assert result.returncode == 1 and "at least 8 characters" in result.stderr


def test_what_an_installer_gets_wrong_is_one_line_and_exit_2(tmp_path):
    """Before: a traceback (up to 129 lines) for each of these, and exit code 3 for a taken
    port or an unknown host."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("a text file, not a database\n" * 100)
    nobody = f"postgresql+psycopg://hall@127.0.0.1:{free_port()}/hall"
    data = ["--data-dir", str(tmp_path)]
    anywhere = ["--port", "0"]  # the port is checked first: these are refused with any port
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        cases = (
                (["serve", "--data-dir", str(a_file), *anywhere], f"--data-dir {str(a_file)!r} is a file"),
                (["serve", "--data-dir", "/proc/x/y", *anywhere], "its parent folder '/proc/x' does not exist"),
                (["serve", "--database", nobody, *anywhere], "Connection refused; check --database"),
                (["serve", "--database", "postgresql+psycopg://hall@no-such-host.invalid/hall", *anywhere],
                 "failed to resolve host 'no-such-host.invalid'"),
                (["serve", "--database", "sqlite://", *data, *anywhere], "the hall needs a database file"),
                (["serve", "--database", f"sqlite:///{not_a_database}", *data, *anywhere], "file is not a database"),
                (["add-device", "k1", "--kind", "kiosk", "--data-dir", str(a_file)], "is a file; name a folder"),
                (["migrate", "--database", nobody], "Connection refused; check --database"),
                (["serve", "--port", str(taken.getsockname()[1]), *data], "is taken by another program"),
                (["serve", "--host", "no-such-host.invalid", *data], "--host 'no-such-host.invalid' is no name"),
                (["serve", "--data-dir", "", *anywhere], "--data-dir (HALL_DATA_DIR): name a folder"))
        with ThreadPoolExecutor(4) as pool:  # each run is mostly Python starting up
            results = list(pool.map(lambda args: hall(*args, cwd=tmp_path), [args for args, _ in cases]))
        for (args, reason), result in zip(cases, results):
            assert refused(result, reason), (args, result.returncode, result.stderr)
    finally:
        taken.close()
    assert not (tmp_path / "hall.db").exists()  # --data-dir "" made nothing in the current folder
    assert not_a_database.read_text().startswith("a text file")


def test_a_sqlite_url_in_a_missing_folder_is_refused_and_no_folder_made(tmp_path):
    """Before: the folders were made, as root anywhere (/nonexistent/dir)."""
    result = hall("add-device", "k1", "--kind", "kiosk", "--database", f"sqlite:///{tmp_path}/nonexistent/dir/hall.db")
    assert refused(result, "the folder"), result.stderr
    assert "does not exist; create it" in result.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_a_new_token_only_for_a_device_that_exists(tmp_path):
    """Before: --new-token silently registered a device that did not exist."""
    data = ["--data-dir", str(tmp_path)]
    result = hall("add-device", "kiosk-99", "--kind", "kiosk", "--new-token", *data)
    assert result.returncode == 1 and "no device 'kiosk-99' to give a new token" in result.stderr
    with sqlite3.connect(tmp_path / "hall.db") as con:
        assert con.execute("select count(*) from devices").fetchone() == (0,)
    assert hall("add-device", "kiosk-99", "--kind", "kiosk", *data).returncode == 0
    assert hall("add-device", "kiosk-99", "--kind", "kiosk", "--new-token", *data).returncode == 0


def test_a_device_keeps_where_it_stands_and_moves_with_its_token_kept(db_url):
    """add-device --location stores it on the device's row, set-location changes it and the
    token stays valid; a new token keeps the location; an unknown device or a location the
    column cannot hold is refused with the reason, and nothing is changed."""
    database = ["--database", db_url]
    added = hall("add-device", "kiosk-01", "--kind", "kiosk", "--location", "一楼东门", *database)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]

    def stands() -> list[tuple]:
        engine = create_engine(db_url)
        try:
            with engine.connect() as con:
                return con.execute(text("select device_id, location, token_hash from devices")).all()
        finally:
            engine.dispose()

    [(_, location, token_hash)] = stands()
    assert location == "一楼东门"
    moved = hall("set-location", "kiosk-01", "--location", "二楼西侧", *database)
    assert moved.returncode == 0 and "kiosk-01 stands at 二楼西侧" in moved.stdout, moved.stderr
    assert stands() == [("kiosk-01", "二楼西侧", token_hash)]
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    for args, reason in ((["set-location", "kiosk-99", "--location", "一楼"], "no device 'kiosk-99'"),
                         (["set-location", "kiosk-01", "--location", "门" * 65], "location of 0 to 64"),
                         (["set-location", "kiosk-01", "--location", "一楼\u202e东门"], "do not print"),
                         (["add-device", "kiosk-02", "--kind", "kiosk", "--location", "门" * 65], "location")):
        result = hall(*args, *database)
        assert result.returncode == 1 and reason in result.stderr and "Traceback" not in result.stderr, (
            args, result.stderr)
    assert stands() == [("kiosk-01", "二楼西侧", token_hash)]
    renewed = hall("add-device", "kiosk-01", "--kind", "kiosk", "--new-token", *database)
    assert renewed.returncode == 0, renewed.stderr
    assert [(d, place) for d, place, _ in stands()] == [("kiosk-01", "二楼西侧")]


def test_a_staff_name_with_characters_that_do_not_print_is_refused(tmp_path):
    """Before: ESC, NUL, a right-to-left override and zero-width characters were kept, to
    garble the console and the display or make two names look alike."""
    from datetime import datetime, timezone

    from hall import accounts
    from hall.queue import QueueEngine
    from hall.schemas import Role
    from hall.spec import load_hall
    from tests.conftest import SAMPLE_HALL

    data = ["--data-dir", str(tmp_path)]
    for name, shown in (("王\x1b[31m芳", "U+001B (control)"), ("\u202e芳王", "U+202E (right-to-left override)"),
                        ("王\u200b芳", "U+200B (zero width space)"), ("王\u2060芳", "U+2060 (word joiner)")):
        result = hall("add-staff", "1001", "--name", name, "--role", "admin", *data, stdin="a good password\n")
        assert result.returncode == 1 and "characters that do not print" in result.stderr, (name, result.stderr)
        assert shown in result.stderr and "Traceback" not in result.stderr
    engine = QueueEngine(load_hall(SAMPLE_HALL), f"sqlite:///{tmp_path / 'hall.db'}")
    try:  # a NUL cannot be passed on a command line; the check is the same
        with engine.transaction() as session:
            try:
                accounts.add_staff(session, hall_id="chengguan", spec=engine.spec, job_no="1001", name="王\x00芳",
                                   role=Role.ADMIN, counters=[], password="a good password",
                                   now=datetime.now(timezone.utc))
                raise AssertionError("a NUL in a name was taken")
            except accounts.AccountError as exc:
                assert "U+0000 (control)" in str(exc)
    finally:
        engine.close()
    kept = hall("add-staff", "1001", "--name", "欧阳·娜娜 Li", "--role", "admin", *data, stdin="a good password\n")
    assert kept.returncode == 0, kept.stderr


def test_an_id_or_name_the_tables_cannot_hold_is_refused_with_the_reason(db_url):
    """Before: a traceback on PostgreSQL (VARCHAR limits), and on SQLite an account kept
    that no request can name (the API takes ids and job numbers in these forms only)."""
    database = ["--database", db_url]
    for args, reason in ((["add-device", "k" * 65, "--kind", "kiosk"], "device id"),
                         (["add-device", "kiosk 01", "--kind", "kiosk"], "device id"),
                         (["add-staff", "1" * 33, "--name", "x", "--role", "admin"], "job number"),
                         (["add-staff", "王芳", "--name", "x", "--role", "admin"], "job number"),
                         (["add-staff", "1001", "--name", "名" * 65, "--role", "admin"], "name")):
        result = hall(*args, *database, stdin="a good password\n")
        assert result.returncode == 1 and reason in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            assert con.execute(text("select count(*) from devices")).scalar() == 0
            assert con.execute(text("select count(*) from staff")).scalar() == 0
    finally:
        engine.dispose()


def test_the_engine_and_the_kiosk_side_load_no_web_framework():
    probe = ("import sys, hall, hall.queue, hall.accounts, hall.schemas, hall.signing, hall.idempotency, "
             "hall.events, hall.settings, hall.db, hall.migrations.runner, kiosk.remote, kiosk.embedded, "
             "kiosk.outbox; print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'fastapi', 'starlette', 'uvicorn', 'jinja2'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_booking_service_gets_its_key_and_its_codes_check_in_once(tmp_path):
    from datetime import time as clock_time

    from hall.booking_codes import make_booking_code
    from hall.errors import RefusalReason, TicketRefused
    from hall.queue import QueueEngine
    from hall.spec import load_hall
    from tests.conftest import OPEN_MORNING, SAMPLE_HALL

    data = ["--data-dir", str(tmp_path)]
    key = hall("booking-key", *data)
    assert key.returncode == 0 and "booking service alone" in key.stdout
    made = hall("booking-code", "--service", "household", "--day", "2026-11-25", "--window", "09:00-09:30",
                "--booking-id", "b1", *data)
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip()
    assert code.startswith("HKB1.CHENGGUAN.B1.HOUSEHOLD.20261125.0900-0930.")
    elsewhere = make_booking_code(bytes.fromhex(key.stdout.split()[-1]), hall_id="chengguan", booking_id="B2",
                                  service="household", day=OPEN_MORNING.date(), window_start=clock_time(9),
                                  window_end=clock_time(9, 30))  # the booking service's own code
    engine = QueueEngine(load_hall(SAMPLE_HALL), f"sqlite:///{tmp_path / 'hall.db'}", clock=lambda: OPEN_MORNING)
    try:
        assert engine.check_in(code).number == "C001" and engine.check_in(elsewhere).number == "C002"
        try:
            engine.check_in(code)
            raise AssertionError("checked in twice")
        except TicketRefused as refused:
            assert refused.reason is RefusalReason.BOOKING_USED
    finally:
        engine.close()
    for bad in (["--service", "fishing", "--day", "2026-11-25", "--window", "09:00-09:30"],
                ["--service", "household", "--day", "2026-11-31", "--window", "09:00-09:30"],
                ["--service", "household", "--day", "2026-11-25", "--window", "09:30-09:00"],
                ["--service", "household", "--day", "2026-11-25", "--window", "09:00-09:30", "--booking-id", "a-b"]):
        result = hall("booking-code", *bad, *data)
        assert result.returncode == 2 and "Traceback" not in result.stderr, bad
