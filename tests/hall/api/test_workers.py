"""`python -m hall serve --workers N`: several server processes on one PostgreSQL database,
over real HTTP on 127.0.0.1. Numbers stay gapless and unique, an idempotency key gives one
ticket whichever process answers, and a listener on any process gets the events written
through the others. On SQLite more than one worker is refused."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from hall import accounts
from hall.queue import QueueEngine
from hall.schemas import DeviceKind
from hall.spec import load_hall
from tests.conftest import ROOT, SAMPLE_HALL
from tests.hall.api.sse import Listener
from tests.hall.conftest import lift_quotas
from tests.postgres import free_port
from tests.support.api_clients import Api, add_staff, staff_session
from tests.support.waiting import until

WORKERS = 3
SERVICES = ("household", "taxation", "social_security")
ALWAYS_OPEN = "\n".join(f'{day} = ["00:00-23:59"]' for day in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))


def always_open(folder) -> str:
    """The sample hall without quotas, open every day all day (the server runs on the wall
    clock), with no holidays."""
    hall = re.sub(r"\[hours\].*?\n\n", f"[hours]\n{ALWAYS_OPEN}\nstop_issuing_minutes = 0\n\n",
                  SAMPLE_HALL.read_text(encoding="utf-8"), flags=re.S)
    path = folder / "hall.toml"
    path.write_text(hall, encoding="utf-8")
    return str(lift_quotas(path))


def serve(*options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hall", "serve", *options], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def workers(postgres, tmp_path):
    """A server of WORKERS processes on a new database, with a kiosk's token and what the
    test does behind its back."""
    database = postgres.database("workers")
    hall_file = always_open(tmp_path)
    port = free_port()
    process = serve("--workers", str(WORKERS), "--port", str(port), "--database", database, "--hall", hall_file,
                    "--data-dir", str(tmp_path / "data"))
    url = f"http://127.0.0.1:{port}"

    def answered() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the server ended: {process.stdout.read()}")
        try:
            return requests.get(f"{url}/api/v1/hall", timeout=1).status_code in (200, 401)
        except requests.ConnectionError:
            return False
    until(answered, seconds=60, what="the workers to answer")
    engine = QueueEngine(load_hall(hall_file), database)
    rows = create_engine(database)
    # Every worker listens for the others' events on a connection of its own.
    until(lambda: _listening(rows) == WORKERS, seconds=60, what=f"{WORKERS} workers listening for events")
    with engine.transaction() as session:
        token = accounts.add_device(session, hall_id=engine.spec.hall.id, device_id="kiosk-01",
                                    kind=DeviceKind.KIOSK, now=datetime.now(timezone.utc))
    server = type("Workers", (), {"url": url, "engine": engine, "rows": rows, "kiosk": Api(url, token)})
    yield server
    process.terminate()
    process.wait(timeout=30)
    engine.close()
    rows.dispose()


def _listening(rows) -> int:
    with rows.connect() as con:
        return con.execute(text("select count(*) from pg_stat_activity where query = 'LISTEN hall_events'")).scalar()


def test_many_clients_across_the_workers_get_gapless_unique_numbers(workers):
    issued: list[tuple[str, str]] = []
    failures: list[str] = []

    def client(n: int) -> None:
        api = Api(workers.url, workers.kiosk.http.headers["Authorization"].removeprefix("Bearer "))
        for i in range(15):
            answer = api.post("/api/v1/tickets", {"service": SERVICES[(n + i) % len(SERVICES)]},
                              key=uuid.uuid4().hex)
            if answer.status_code != 201:
                failures.append(answer.text)
                return
            issued.append((answer.json()["service"], answer.json()["number"]))
        api.http.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    by_service = defaultdict(list)
    for service, number in issued:
        by_service[service].append(int(number[1:]))
    assert sum(len(n) for n in by_service.values()) == 12 * 15
    for service, numbers in by_service.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), service
    with workers.rows.connect() as con:
        assert con.execute(text("select count(*) from tickets")).scalar() == 12 * 15


def test_one_idempotency_key_sent_to_every_worker_gives_one_ticket(workers):
    key = uuid.uuid4().hex
    answers: list[requests.Response] = []
    token = workers.kiosk.http.headers["Authorization"].removeprefix("Bearer ")
    barrier = threading.Barrier(2 * WORKERS)

    def send() -> None:
        api = Api(workers.url, token)  # a connection of its own: any worker may take it
        barrier.wait(timeout=30)
        answers.append(api.post("/api/v1/tickets", {"service": "household"}, key=key))
        api.http.close()

    threads = [threading.Thread(target=send) for _ in range(2 * WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert [a.headers.get("Idempotent-Replayed") for a in answers].count(None) == 1
    with workers.rows.connect() as con:
        assert con.execute(text("select number from tickets")).scalars().all() == ["C001"]


def test_a_listener_on_any_worker_gets_the_calls_made_through_the_others(workers):
    """Each listener and each request on a connection of its own, taken by whichever worker
    accepts it first: the listeners end up on every worker, the calls come through all."""
    add_staff(workers.engine, "0301", counters=("3",))
    display = Api(workers.url, _token(workers.engine, "display-1", DeviceKind.DISPLAY))
    listeners = [Listener(display) for _ in range(2 * WORKERS)]
    try:
        for listener in listeners:
            assert listener.next().event == "ready"
        for _ in range(WORKERS):
            workers.kiosk.post("/api/v1/tickets", {"service": "household"})
        called = []
        for _ in range(WORKERS):
            staff = staff_session(workers.url, "0301")  # a new connection for each call
            answer = staff.post("/api/v1/counters/3/call-next")
            assert answer.status_code == 200, answer.text
            called.append(answer.json()["number"])
            staff.post("/api/v1/counters/3/complete")
        for listener in listeners:
            seen = [listener.until("called").json()["payload"]["ticket"]["number"] for _ in called]
            assert seen == called
    finally:
        for listener in listeners:
            listener.close()


def _token(engine: QueueEngine, device_id: str, kind: DeviceKind) -> str:
    with engine.transaction() as session:
        return accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=device_id, kind=kind,
                                   now=datetime.now(timezone.utc))


def test_several_workers_on_sqlite_are_refused(tmp_path):
    done = serve("--workers", "2", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"))
    out, _ = done.communicate(timeout=60)
    assert done.returncode == 2
    assert "--workers 2: several server processes need PostgreSQL" in out, out


def test_a_worker_count_out_of_range_is_refused(tmp_path):
    done = serve("--workers", "0", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"))
    out, _ = done.communicate(timeout=60)
    assert done.returncode == 2 and "--workers 0: give 1 to 64" in out, out
