"""The ticket printer driver over every transport it opens: simulator, loop, a real pty, file, USB."""
from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import threading

import pytest

from devices import escpos_commands as cmd
from devices.errors import BadDeviceUrl, PaperOut, PrinterOffline, PrinterUnavailable, PrinterWriteFailed
from devices.escpos_parse import parse_escpos
from devices.printer import open_printer
from devices.printer_status import PrinterStatus, decode_status
from devices.printer_profiles import PROFILES
from devices.ticket_layout import render_ticket
from tests.devices.sample_tickets import TYPICAL_URL
from tests.devices.tcp_printer import TcpPrinter

PROFILE = PROFILES["80mm"]


@pytest.mark.parametrize(
    "printer, paper, status",
    [
        (0x12, 0x12, PrinterStatus.OK),
        (0x12, 0x1E, PrinterStatus.PAPER_NEAR_END),  # bits 2-3: near-end sensor
        (0x1A, 0x7E, PrinterStatus.PAPER_OUT),  # offline because of paper end, bits 5-6
        (0x12, 0x72, PrinterStatus.PAPER_OUT),  # end sensor alone (python-escpos' mask value)
        (0x1A, 0x12, PrinterStatus.OFFLINE),  # bit 3: offline (cover open)
        (0x1A, 0x1E, PrinterStatus.OFFLINE),
        (0x10, 0x10, PrinterStatus.UNKNOWN),  # our own DLE echoed by a loop-back
        (0x12, 0xFF, PrinterStatus.UNKNOWN),  # fixed bits wrong: noise
    ],
)
def test_decode_status(printer, paper, status):
    assert decode_status(printer, paper) is status


@pytest.mark.parametrize(
    "query, status",
    [
        ("paper=ok", PrinterStatus.OK),
        ("paper=near_end", PrinterStatus.PAPER_NEAR_END),
        ("paper=out", PrinterStatus.PAPER_OUT),
        ("online=0", PrinterStatus.OFFLINE),
    ],
)
def test_status_from_the_simulator(query, status):
    with open_printer(f"simprinter://?{query}", PROFILE, timeout=0.1) as printer:
        assert printer.status() is status
        assert printer.last_status is status


def test_print_writes_the_rendered_ticket_in_one_job(printout, tmp_path):
    with open_printer("simprinter://", PROFILE, spool_dir=tmp_path) as printer:
        written = printer.print_ticket(printout)
        jobs = printer.connection.port.jobs
    ticket = render_ticket(printout, PROFILE)
    assert written == len(ticket) and jobs == [ticket]
    assert (tmp_path / "ticket-0001.bin").read_bytes() == ticket
    preview = (tmp_path / "ticket-0001.txt").read_text(encoding="utf-8")
    assert "城关县政务服务中心" in preview and "[6x6: A001]" in preview
    assert f"[QR code: {TYPICAL_URL}]" in preview and "partial cut" in preview


def test_spool_numbers_continue_across_printers(printout, tmp_path):
    url = f"simprinter://?spool={tmp_path}"
    with open_printer(url, PROFILE) as printer:
        printer.print_ticket(printout)
        printer.print_ticket(printout)
    with open_printer(url, PROFILE) as printer:
        printer.print_ticket(printout)
    assert sorted(p.name for p in tmp_path.glob("*.bin")) == ["ticket-0001.bin", "ticket-0002.bin", "ticket-0003.bin"]


def test_without_spool_jobs_stay_in_memory(printout, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_printer("simprinter://", PROFILE) as printer:
        printer.print_ticket(printout)
        assert len(printer.connection.port.jobs) == 1
    assert list(tmp_path.iterdir()) == []


def test_paper_near_end_prints_and_reports(printout):
    with open_printer("simprinter://?paper=near_end", PROFILE) as printer:
        assert printer.print_ticket(printout) > 0
        assert printer.last_status is PrinterStatus.PAPER_NEAR_END
        assert len(printer.connection.port.jobs) == 1


def test_paper_out_refuses_before_sending(printout):
    with open_printer("simprinter://?paper=out", PROFILE) as printer:
        with pytest.raises(PaperOut, match="simprinter://"):
            printer.print_ticket(printout)
        simulated = printer.connection.port.printer
        assert simulated.jobs == [] and simulated.discarded == 0


def test_paper_running_out_between_tickets(printout):
    with open_printer("simprinter://", PROFILE) as printer:
        printer.print_ticket(printout)
        printer.connection.port.printer.paper = "out"
        with pytest.raises(PaperOut):
            printer.print_ticket(printout)
        assert len(printer.connection.port.jobs) == 1


def test_silent_printer_is_offline(printout):
    with open_printer("simprinter://?online=0", PROFILE, timeout=0.1) as printer:
        with pytest.raises(PrinterOffline):
            printer.print_ticket(printout)


def test_write_failure_mid_ticket(printout, caplog):
    with open_printer("simprinter://?fail_after=100", PROFILE) as printer:
        with pytest.raises(PrinterWriteFailed, match="simprinter://.*Input/output error"):
            printer.print_ticket(printout)
        assert printer.connection.port.jobs == []
        assert printer.connection.port.bytes_written == 100
    assert "recent wire traffic" in caplog.text and ">> 6 bytes: 10 04 01 10 04 04" in caplog.text


def test_wire_trace_logs_both_directions(printout, caplog):
    caplog.set_level(logging.DEBUG, logger="devices.wire")
    with open_printer("simprinter://", PROFILE) as printer:
        printer.print_ticket(printout)
    wire = [r.getMessage() for r in caplog.records if r.name == "devices.wire"]
    assert ">> 6 bytes\n0000  10 04 01 10 04 04" in wire[0]  # DLE EOT 1 and 4 together
    assert "<< 2 bytes\n0000  12 12" in wire[1]
    assert "|.@.&.a..E.......|" in wire[2]  # the ticket's first 16 bytes, hexdumped
    assert ">> 6 bytes\n0000  10 04 01 10 04 04" in wire[3]  # and the printer asked again after it


def test_a_closed_printer_says_so(printout):
    printer = open_printer("simprinter://", PROFILE)
    printer.close()
    with pytest.raises(PrinterUnavailable, match="closed"):
        printer.print_ticket(printout)


def test_loop_url_loops_the_bytes_back(printout, caplog):
    caplog.set_level(logging.DEBUG, logger="devices.wire")
    with open_printer("loop://", PROFILE, timeout=0.1) as printer:
        assert printer.status() is PrinterStatus.UNKNOWN  # its "replies" are our own echo
        written = printer.print_ticket(printout)
        assert printer.last_status is PrinterStatus.UNKNOWN  # asked again after the ticket: an echo again
    ticket = render_ticket(printout, PROFILE)
    assert written == len(ticket)
    assert any(f">> {len(ticket)} bytes" in r.getMessage() for r in caplog.records if r.name == "devices.wire")


@pytest.fixture
def pty_pair():
    """A real tty: the printer opens the slave by name, the test plays the printer on the master."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def _read_exactly(fd: int, count: int, timeout: float = 5.0) -> bytes:
    data = b""
    while len(data) < count:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        data += os.read(fd, count - len(data))
    return data


def test_status_and_ticket_over_a_real_pty(printout, pty_pair):
    master, slave_name = pty_pair
    ticket = render_ticket(printout, PROFILE)
    seen: dict[str, bytes] = {}

    def printer_side() -> None:
        seen["q1"] = _read_exactly(master, 3)
        os.write(master, b"\x12")  # DLE EOT 1: online
        seen["q2"] = _read_exactly(master, 3)
        os.write(master, b"\x1e")  # DLE EOT 4: paper near end
        seen["ticket"] = _read_exactly(master, len(ticket))
        seen["q3"] = _read_exactly(master, 3)  # asked again once the ticket has left
        os.write(master, b"\x12")
        seen["q4"] = _read_exactly(master, 3)
        os.write(master, b"\x1e")

    with open_printer(f"serial://{slave_name}?baudrate=115200", PROFILE) as printer:
        side = threading.Thread(target=printer_side)
        side.start()
        written = printer.print_ticket(printout)
        side.join(10)
    assert seen == {"q1": cmd.STATUS_PRINTER, "q2": cmd.STATUS_PAPER, "ticket": ticket,
                    "q3": cmd.STATUS_PRINTER, "q4": cmd.STATUS_PAPER}
    assert written == len(ticket) and printer.last_status is PrinterStatus.PAPER_NEAR_END
    assert parse_escpos(seen["ticket"]).largest_text() == "A001"


def test_silent_pty_is_offline(pty_pair):
    master, slave_name = pty_pair
    with open_printer(f"serial://{slave_name}", PROFILE, timeout=0.2) as printer:
        assert printer.status() is PrinterStatus.OFFLINE
    assert _read_exactly(master, 3, timeout=1) == cmd.STATUS_PRINTER


@pytest.mark.parametrize("form", ["file://{path}", "{path}"])
def test_file_printer_appends_tickets_and_cannot_read_status(printout, tmp_path, form):
    path = tmp_path / "lp0"
    with open_printer(form.format(path=path), PROFILE) as printer:
        assert printer.status() is PrinterStatus.UNKNOWN
        printer.print_ticket(printout)
        printer.print_ticket(printout)
    ticket = render_ticket(printout, PROFILE)
    assert path.read_bytes() == ticket + ticket


def test_a_device_file_that_takes_no_bytes_fails_the_ticket_within_the_timeout(printout, tmp_path):
    """A USB printer's device file (usblp) out of paper takes no more bytes, and a plain write
    to it waits for ever: the kiosk's one worker, and every citizen after this one, with it.
    A FIFO whose reader reads nothing, its buffer full, stands in for it."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    filler = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                os.write(filler, bytes(4096))
            except BlockingIOError:
                break
        printer = open_printer(f"file://{fifo}", PROFILE, timeout=0.5)
        outcome: list[BaseException | int] = []

        def print_one():
            try:
                outcome.append(printer.print_ticket(printout))
            except PrinterWriteFailed as exc:
                outcome.append(exc)
        side = threading.Thread(target=print_one, daemon=True)
        side.start()
        side.join(10)
        assert not side.is_alive(), "the write to the device file waited for ever"
        assert isinstance(outcome[0], PrinterWriteFailed) and "0.5 s" in str(outcome[0])
        printer.close()
    finally:
        os.close(filler)
        os.close(reader)


def test_missing_device_file_is_unavailable(tmp_path):
    with pytest.raises(PrinterUnavailable, match=r"no-such-dir/lp0.*No such file"):
        open_printer(f"file://{tmp_path}/no-such-dir/lp0", PROFILE)


def test_usb_without_the_device_is_unavailable():
    with pytest.raises(PrinterUnavailable, match="usb://04b8:0202") as caught:
        open_printer("usb://04b8:0202", PROFILE)
    assert caught.value.url == "usb://04b8:0202"


def test_refused_tcp_connection_is_unavailable():
    with pytest.raises(PrinterUnavailable, match="tcp://127.0.0.1:9.*refused"):
        open_printer("tcp://127.0.0.1:9", PROFILE, timeout=0.5)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("ftp://printer", "serial:///dev/ttyS0?baudrate=9600"),
        ("serial://", "no port named"),
        ("serial:///dev/ttyS0?baud=9600", "unknown option 'baud'"),
        ("serial:///dev/ttyS0?baudrate=fast", "bad value 'fast' for baudrate"),
        ("serial:///dev/ttyS0?parity=X", "bad value 'X' for parity"),
        ("serial:///dev/ttyS0?baudrate=9600&baudrate=19200", "given 2 times"),
        ("usb://04b8", "usb://VID:PID"),
        ("usb://zzzz:0202", "usb://VID:PID"),
        ("usb://04b8:0202?endpoint=1", "unknown option 'endpoint'"),
        ("tcp://", "tcp://HOST"),
        ("loop://?logging=debug", "takes no options"),
        ("simprinter://?paper=wet", "paper must be one of ok|near_end|out"),
        ("simprinter://?colour=red", "unknown option: 'colour'"),
        ("simprinter://somewhere", "simprinter://[?spool=DIR]"),
        ("file://host/dev/lp0", "file:///PATH"),
        ("tcp://127.0.0.1:0", "port 0"),
        ("simprinter://?columns=0", "columns must be 16 to 255"),
    ],
)
def test_bad_urls_show_the_expected_form(url, expected):
    with pytest.raises(BadDeviceUrl) as caught:
        open_printer(url, PROFILE)
    assert expected in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.skipif("HALL_PRINTER_URL" not in os.environ, reason="set HALL_PRINTER_URL to print on a real printer")
def test_real_printer(printout):
    with open_printer(os.environ["HALL_PRINTER_URL"], PROFILES[os.environ.get("HALL_PRINTER_PROFILE", "80mm")]) as printer:
        assert printer.print_ticket(printout) > 0


def test_importing_the_driver_leaves_root_logging_alone(tmp_path):
    """python-escpos calls logging.basicConfig() on import; the kiosk's own set-up must still work."""
    code = "import logging, devices.printer; assert logging.root.handlers == [], logging.root.handlers"
    env = dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(tmp_path / "made-on-import"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "made-on-import").is_dir()


def test_the_write_timeout_follows_the_transport(printout):
    """A network printer's write takes no longer for a long ticket; a serial line's does
    (the loop-back times its writes as a 9600 baud line)."""
    ticket = render_ticket(printout, PROFILE)
    network = TcpPrinter()
    try:
        with open_printer(network.url, PROFILE, timeout=0.5) as printer:
            printer.print_ticket(printout)
            assert printer.connection.port.write_timeout == 0.5
    finally:
        network.close()
    with open_printer("loop://", PROFILE, timeout=0.5) as printer:
        printer.print_ticket(printout)
        assert printer.connection.port.write_timeout == pytest.approx(0.5 + 20 * len(ticket) / 9600)


def test_a_ticket_waits_for_two_status_round_trips_however_slow_the_answers(printout, pty_pair):
    """A printer (or a serial bridge) that takes its time over each answer: the ticket's
    status queries go out together, so the ticket waits for one round trip before and one
    after, not one per query (four)."""
    master, slave_name = pty_pair
    ticket = render_ticket(printout, PROFILE)
    round_trips: list[bytes] = []
    done = threading.Event()

    def slow_printer() -> None:
        received = b""
        while not done.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            received += os.read(master, 4096)
            asked = received.count(cmd.REAL_TIME_STATUS)
            if asked:
                done.wait(0.3)  # the slow answer: every query waiting now is answered after it
                round_trips.append(received)
                os.write(master, b"\x12" * asked)
                received = b""

    side = threading.Thread(target=slow_printer)
    side.start()
    try:
        with open_printer(f"serial://{slave_name}?baudrate=115200", PROFILE, timeout=2.0) as printer:
            for _ in range(2):
                assert printer.print_ticket(printout) == len(ticket)
                assert printer.last_status is PrinterStatus.OK
    finally:
        done.set()
        side.join(5)
    queries = cmd.STATUS_PRINTER + cmd.STATUS_PAPER
    assert round_trips == [queries, ticket + queries, queries, ticket + queries]
