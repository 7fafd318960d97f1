"""The remote hall when things go wrong: the server down at start or killed mid-run, a kiosk
killed -9 with reports in its outbox, twenty kiosks at once."""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from hall.schemas import DeviceKind
from kiosk.config import load_settings
from kiosk.hall_client import HallUnavailable
from kiosk.remote import RemoteHall
from kiosk.terminal import open_hall, open_printer, ticket_flow
from tests.conftest import SAMPLE_HALL, write_kiosk_config
from tests.hall.api.conftest import Api
from tests.hall.conftest import lift_quotas
from tests.kiosk.remote_workers import report_until_killed
from tests.postgres import free_port
from tests.support.servers import HallServer
from tests.support.tls import self_signed
from tests.support.waiting import until
from tests.test_main import run_main

SPREAD = ["social_security", "medical_insurance", "household", "real_estate", "business_license"]


def remote_config(folder: Path, server, token: str) -> Path:
    return write_kiosk_config(folder, extra_terminal=f'hall = "{server.url}"\nhall_token = "{token}"')


def test_a_kiosk_started_while_the_server_is_down_comes_up_and_says_tickets_are_paused(hall_server, tmp_path):
    token = hall_server.register("kiosk-01")
    settings = load_settings(remote_config(tmp_path / "kiosk", hall_server, token))
    hall_server.start()
    open_hall(settings).close()  # a first start with the server up keeps the definition
    hall_server.kill()

    hall = open_hall(settings)
    printer = open_printer(settings)
    try:
        assert hall.spec.hall.name.zh_CN == "城关县政务服务中心"
        with pytest.raises(HallUnavailable):
            hall.services_status()
        flow = ticket_flow(settings, hall, printer, now=hall_server.clock)  # open hours
        assert flow.texts.hall_name() == "城关县政务服务中心"
        flow.choose("household")
        flow.confirm()
        assert flow.state.value == "notice" and flow.texts.notice_text() == "暂停取号，请到服务台。"
        assert flow.errand.ticket is None
        assert not list((settings.data_dir / "printer").glob("ticket-*.bin"))  # nothing printed
    finally:
        printer.close()
        hall.close()


def test_a_kiosk_that_never_met_its_server_stops_with_the_reason(tmp_path):
    unreachable = type("Nowhere", (), {"url": f"http://127.0.0.1:{free_port()}"})
    result = run_main("--config", str(remote_config(tmp_path / "kiosk", unreachable, "token")))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot be reached" in result.stderr and "never loaded its hall's definition" in result.stderr


def test_a_kept_definition_spoilt_on_disk_stops_the_kiosk_with_the_reason(tmp_path):
    """A power cut can leave the kept file cut short: with the server down too, the kiosk
    says which file and why, as when it never met its server, not with a traceback."""
    unreachable = type("Nowhere", (), {"url": f"http://127.0.0.1:{free_port()}"})
    config = remote_config(tmp_path / "kiosk", unreachable, "token")
    kept = load_settings(config).data_dir / "hall-definition.json"
    kept.parent.mkdir(parents=True)
    kept.write_text('{"hall": {"id": "chengguan", "na', encoding="utf-8")
    result = run_main("--config", str(config))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot be reached" in result.stderr and str(kept) in result.stderr


def test_a_definition_that_cannot_be_kept_on_disk_does_not_stop_the_kiosk(hall_server, tmp_path, caplog):
    """A full disk refuses the copy kept for a start without the server; the server answered,
    so the kiosk starts on its answer and says in the log what it could not keep."""
    token = hall_server.register("kiosk-01")
    hall_server.start()
    folder = tmp_path / "data"
    (folder / "hall-definition.tmp").mkdir(parents=True)  # where the copy is written first: no file fits there
    hall = RemoteHall(hall_server.url, token, data_dir=folder)
    try:
        assert hall.spec.hall.name.zh_CN == "城关县政务服务中心"
        assert "not kept" in caplog.text
    finally:
        hall.close()


def test_server_killed_mid_run_then_restarted_kiosks_recover_with_no_duplicate(hall_server, tmp_path):
    token = hall_server.register("kiosk-01")
    hall_server.start()
    hall = RemoteHall(hall_server.url, token, data_dir=tmp_path / "kiosk")
    try:
        issued = [hall.issue_ticket("household", idempotency_key=f"kiosk-01-{i:04d}") for i in range(5)]
        hall_server.kill(signal.SIGKILL)
        with pytest.raises(HallUnavailable):  # the kiosk says so (at one deadline: test_remote_faults.py)
            hall.issue_ticket("household", idempotency_key="kiosk-01-0005")
        with pytest.raises(HallUnavailable):
            hall.services_status()
        hall_server.start()
        retried = hall.issue_ticket("household", idempotency_key="kiosk-01-0005")
        again = hall.issue_ticket("household", idempotency_key="kiosk-01-0004")  # answered before the kill
        assert again == issued[4]
        assert [t.number for t in issued] + [retried.number] == [f"C{n:03d}" for n in range(1, 7)]
        assert hall_server.rows("select count(*) from tickets") == [(6,)]
    finally:
        hall.close()


def test_twenty_kiosks_a_hundred_tickets_each_get_distinct_gapless_numbers(hall_server, hall_copy, tmp_path):
    hall_server.args["hall_file"] = str(lift_quotas(hall_copy))
    tokens = [hall_server.register(f"kiosk-{i:02d}") for i in range(20)]
    hall_server.start()
    results: list[list[tuple[str, str]]] = [[] for _ in tokens]
    errors = []
    start = threading.Barrier(len(tokens))

    def kiosk(i: int) -> None:
        hall = RemoteHall(hall_server.url, tokens[i], data_dir=tmp_path / f"kiosk-{i:02d}")
        try:
            start.wait(timeout=60)
            for n in range(100):
                t = hall.issue_ticket(SPREAD[(i + n) % len(SPREAD)])
                results[i].append((t.service, t.number))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            hall.close()

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(len(tokens))]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    print(f"\n20 kiosks x 100 tickets over HTTP: {time.perf_counter() - began:.1f} s")
    assert errors == []
    pairs = [p for r in results for p in r]
    assert len(pairs) == 2000 and len({n for _, n in pairs}) == 2000
    per_service = Counter(s for s, _ in pairs)
    for service, n in per_service.items():
        seqs = sorted(int(num[1:]) for s, num in pairs if s == service)
        assert seqs == list(range(1, n + 1)), service
    assert hall_server.rows("select count(*) from tickets") == [(2000,)]


def kill_reporter_after(hall_server, token, folder: Path, count: int) -> int:
    """Runs a kiosk process that reports `count` times, kills it -9 once it said it had,
    and returns how many reports it confirmed."""
    ctx = multiprocessing.get_context("spawn")
    heard, told = ctx.Pipe(duplex=False)
    child = ctx.Process(target=report_until_killed, args=(hall_server.url, token, str(folder), count, told))
    child.start()
    told.close()
    confirmed = 0
    while True:
        assert heard.poll(60), "the kiosk process said nothing"
        if heard.recv() == "done":
            break
        confirmed += 1
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    return confirmed


def wait_delivered(hall: RemoteHall, expected_events: int, server) -> None:
    until(lambda: not len(hall._outbox) and server.rows(
              "select count(*) from events where kind = 'device_status'") == [(expected_events,)],
          seconds=30, every=0.1, what=lambda: f"{expected_events} reports delivered; the outbox holds "
          f"{len(hall._outbox)}, the server's log {server.rows('select kind from events')}")


def delivered_after(hall: RemoteHall, server, delivered: int) -> None:
    """Until a report made now has arrived after the `delivered` ones: the outbox sends in
    order, so a second copy of an earlier one would have come before it."""
    hall.report_device("kiosk-01/scanner", "scanner", "unavailable", "a later report")
    wait_delivered(hall, delivered + 1, server)


def test_a_report_in_the_outbox_of_a_killed_kiosk_arrives_once(hall_server, tmp_path):
    token = hall_server.register("kiosk-01")
    folder = tmp_path / "kiosk"
    hall_server.start()
    RemoteHall(hall_server.url, token, data_dir=folder).close()  # keeps the definition
    hall_server.kill()
    assert kill_reporter_after(hall_server, token, folder, 1) == 1  # written while the server was down
    hall_server.start()
    hall = RemoteHall(hall_server.url, token, data_dir=folder)  # the kiosk starts again
    try:
        wait_delivered(hall, 1, hall_server)
        delivered_after(hall, hall_server, 1)
        assert hall_server.rows("select device_id, status, detail from device_status order by device_id") == [
            ("kiosk-01/printer", "paper_out", "report 0"), ("kiosk-01/scanner", "unavailable", "a later report")]
        assert hall_server.rows("select count(*) from idempotency_keys") == [(2,)]
    finally:
        hall.close()


def test_reports_of_a_kiosk_killed_while_sending_arrive_once_each(hall_server, tmp_path):
    token = hall_server.register("kiosk-01")
    folder = tmp_path / "kiosk"
    hall_server.start()
    confirmed = kill_reporter_after(hall_server, token, folder, 40)
    hall = RemoteHall(hall_server.url, token, data_dir=folder)
    try:
        wait_delivered(hall, confirmed, hall_server)
        delivered_after(hall, hall_server, confirmed)
        details = [d for (d,) in hall_server.rows("select payload from events where kind = 'device_status' "
                                                   "order by id")][:-1]
        assert len(details) == confirmed == 40
        assert [f"report {i}" in d for i, d in enumerate(details)] == [True] * 40  # each once, in order
        assert hall_server.rows("select count(*) from idempotency_keys") == [(41,)]
    finally:
        hall.close()


def test_a_hung_server_keeps_the_screen_waiting_once_then_not_at_all(hall_server, tmp_path):
    """A server that takes connections and never answers (a hung process, a lost network):
    the first glance at the queues tries once and gives up at its timeout, and the next ones
    are answered at once from what the kiosk knows, without asking, until the server answers
    again."""
    token = hall_server.register("kiosk-01")
    folder = tmp_path / "kiosk"
    hall_server.start()
    RemoteHall(hall_server.url, token, data_dir=folder).close()  # keeps the definition
    hall_server.kill()
    hung = socket.socket()
    hung.bind(("127.0.0.1", hall_server.port))
    hung.listen(16)  # connections complete in the kernel; nobody reads them
    hung.setblocking(False)

    def connections() -> int:
        """Connections made to the hung server since last asked (each kept open)."""
        made = 0
        while True:
            try:
                kept.append(hung.accept()[0])
            except BlockingIOError:
                return made
            made += 1
    kept: list[socket.socket] = []
    try:
        hall = RemoteHall(hall_server.url, token, data_dir=folder)
        try:
            made = connections()  # whatever the kiosk asked at its start (its glance may be over already)
            with pytest.raises(HallUnavailable, match="timed out|did not answer"):
                hall.services_status()
            made += connections()
            assert made <= 2  # the start's glance and this one at most: tried once each, not retried
            with pytest.raises(HallUnavailable, match="did not answer"):
                hall.services_status()
            assert connections() == 0  # answered from what the kiosk knows
        finally:
            hall.close()
    finally:
        for connection in kept:
            connection.close()
        hung.close()


def test_the_servers_certificate_is_verified(tmp_path, file_clock):
    """Over HTTPS the kiosk trusts the server only through the system's CAs or the hall's
    own CA bundle (hall_ca); an unknown certificate is refused and nothing is sent."""
    folder = tmp_path / "server"
    cert, key = self_signed(tmp_path, "hall")
    stranger, _ = self_signed(tmp_path, "stranger")
    server = HallServer(data_dir=folder, database=f"sqlite:///{folder / 'hall.db'}", hall_file=SAMPLE_HALL,
                        clock=file_clock, tls=(cert, key))
    token = server.register("kiosk-01")
    server.start()
    try:
        for trust in (None, str(stranger)):
            with pytest.raises(HallUnavailable, match="never loaded"):
                RemoteHall(server.url, token, data_dir=tmp_path / "kiosk", ca_bundle=trust)
        hall = RemoteHall(server.url, token, data_dir=tmp_path / "kiosk", ca_bundle=str(cert))
        try:
            assert hall.issue_ticket("household").link.startswith(f"https://127.0.0.1:{server.port}/t/")
        finally:
            hall.close()
    finally:
        server.kill()


def test_a_rating_given_in_an_outage_is_taken_after_its_prompt_ended_meanwhile(any_hall_server, file_clock,
                                                                               tmp_path):
    """The counter terminal keeps the rating in its outbox while the hall is down and is
    switched off; by the time both run again the prompt has ended as not rated. The outbox
    says how long ago the rating was given, on the terminal's clock (here set by the test),
    and the hall takes it as given within the prompt: rated, once."""
    server = any_hall_server
    terminal_token = server.register("counter-03", DeviceKind.COUNTER, counters=("3",))
    kiosk = server.register("kiosk-01")
    server.start()
    staff = server.staff("s01", counters=("3",))
    assert Api(server.url, kiosk).post("/api/v1/tickets", {"service": "household"}).status_code == 201
    assert staff.post("/api/v1/counters/3/call-next").status_code == 200
    ticket = staff.post("/api/v1/counters/3/complete").json()
    completed = file_clock.now
    folder = tmp_path / "counter"
    terminal = RemoteHall(server.url, terminal_token, data_dir=folder, wall_clock=lambda: file_clock.now.timestamp())
    server.kill()
    file_clock.now = completed + timedelta(seconds=58)
    terminal.report_rating(ticket["id"], 4, idempotency_key=f"counter-rating-{ticket['id']}")
    terminal.close()
    file_clock.now = completed + timedelta(seconds=75)
    server.start()
    until(lambda: server.rows("select rating_state from served_tickets") == [("not_rated",)],
          seconds=60, what="the prompt ended as not rated by the server's watch")
    terminal = RemoteHall(server.url, terminal_token, data_dir=folder, wall_clock=lambda: file_clock.now.timestamp())
    try:
        until(lambda: server.rows("select rating_state from served_tickets") == [("rated",)],
              what=lambda: f"the rating taken: {terminal._outbox.set_aside()}")
        until(lambda: len(terminal._outbox) == 0, what="the outbox emptied")
        assert terminal._outbox.set_aside() == []
        assert server.rows("select ticket_id, level, channel from ratings") == [(ticket["id"], 4, "counter")]
    finally:
        terminal.close()
