"""python -m hall as an installer uses it: accounts made on the command line, then the real
`serve` answering with them."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from tests.postgres import free_port


def hall(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hall", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, **(env or {})})


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
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"{url}/hall", headers={"Authorization": f"Bearer {token}"}, timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
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
