"""The serial code scanner: lines cut from any pieces, over a real pty, simscanner:// and loop://."""
from __future__ import annotations

import os
import queue

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadDeviceUrl, ScannerUnavailable, UnreadableScan
from devices.scanner import MAX_LINE, Scanner, ScanLineFramer
from tests.support.waiting import until

BOOKING = "HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930.AAAQEAYEAUDAOCAJBIFQYDIOB4"


def opened(url: str, on_code, on_problem) -> Scanner:
    """A scanner opened now (BadDeviceUrl, ScannerUnavailable) and reading: the kiosk starts
    it without opening it, so that its screen never waits for a port."""
    scanner = Scanner(url, on_code=on_code, on_problem=on_problem)
    scanner.open()
    return scanner.start()


class Received:
    """The scanner's callbacks, collected in order for the test to wait on."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def code(self, text: str) -> None:
        self.queue.put(text)

    def problem(self, error) -> None:
        self.queue.put(error)

    def next(self, timeout: float = 5.0):
        return self.queue.get(timeout=timeout)


@pytest.fixture
def received() -> Received:
    return Received()


def test_lines_end_with_cr_lf_or_both():
    framer = ScanLineFramer()
    framer.data_received(b"one\rtwo\nthree\r\nfour\n\r")
    assert list(framer.events) == [b"one", b"two", b"three", b"four"]


def test_an_overlong_line_is_dropped_whole_and_reported_once():
    framer = ScanLineFramer()
    framer.data_received(b"x" * (MAX_LINE + 10))
    framer.data_received(b"x" * 100 + b"\rok\r")
    error, ok = framer.events
    assert isinstance(error, UnreadableScan) and ok == b"ok"


@given(st.lists(st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
                .filter(bool), max_size=8),
       st.sampled_from([b"\r", b"\n", b"\r\n"]), st.lists(st.integers(min_value=0), max_size=15))
@settings(max_examples=200, deadline=None)
def test_any_chunking_yields_the_same_lines(lines, ending, cuts):
    stream = b"".join(line + ending for line in lines)
    framer = ScanLineFramer()
    points = sorted({c % (len(stream) + 1) for c in cuts})
    for start, end in zip([0, *points], [*points, len(stream)]):
        framer.data_received(stream[start:end])
    assert list(framer.events) == lines


def test_codes_over_a_real_pty_in_utf8_and_gb18030(received):
    master, slave = os.openpty()
    try:
        with opened(f"serial://{os.ttyname(slave)}", received.code, received.problem):
            os.write(master, BOOKING.encode() + b"\r")
            os.write(master, "取号成功".encode("utf-8") + b"\r\n" + "社保医保".encode("gb18030") + b"\n")
            os.write(master, b"\xff\xfe\xfd\r")
            assert [received.next() for _ in range(3)] == [BOOKING, "取号成功", "社保医保"]
            problem = received.next()
            assert isinstance(problem, UnreadableScan)
            assert "a 3-byte line is neither UTF-8 nor GB18030 text" in str(problem)
            os.close(master)
            master = -1
            lost = received.next()
            assert isinstance(lost, ScannerUnavailable) and "is it plugged in" in str(lost)
    finally:
        if master >= 0:
            os.close(master)
        os.close(slave)


@pytest.mark.parametrize("query, encoding", [("suffix=cr", "utf-8"), ("suffix=crlf&encoding=gb18030", "gb18030"),
                                             ("suffix=lf", "utf-8")])
def test_the_simulated_scanner(received, query, encoding):
    with opened(f"simscanner://?{query}", received.code, received.problem) as scanner:
        scanner.port.scanner.scan("A001 窗口")
        scanner.port.scanner.scan(BOOKING)
        assert [received.next(), received.next()] == ["A001 窗口", BOOKING]
        assert scanner.port.scanner.encoding == encoding


def test_a_failing_handler_does_not_stop_the_scanner(received, caplog):
    def handler(text: str) -> None:
        if text == "boom":
            raise RuntimeError("a bug in the kiosk")
        received.code(text)

    with opened("simscanner://", handler, received.problem) as scanner:
        scanner.port.scanner.scan("boom")
        scanner.port.scanner.scan("after")
        assert received.next() == "after"
    assert "the code handler failed" in caplog.text


def test_an_unplugged_simulated_scanner(received):
    with opened("simscanner://", received.code, received.problem) as scanner:
        scanner.port.unplug()
        assert isinstance(received.next(), ScannerUnavailable)


def test_loop_url(received):
    with opened("loop://", received.code, received.problem) as scanner:
        scanner.port.write(b"HKB1.X\r")
        assert received.next() == "HKB1.X"


def test_a_scanner_that_cannot_be_opened(tmp_path, received):
    with pytest.raises(ScannerUnavailable, match="cannot open the scanner serial://"):
        opened(f"serial://{tmp_path}/ttyACM9", received.code, received.problem)


@pytest.mark.parametrize("url, words", [
    ("hid://0c2e:0b61", "unknown scanner URL"),
    ("simscanner://?suffix=tab", "bad option suffix='tab'"),
    ("simscanner://?encoding=latin-1", "bad option encoding='latin-1'"),
    ("serial:///dev/ttyACM0?speed=9600", "unknown option 'speed'"),
])
def test_bad_urls(url, words, received):
    with pytest.raises(BadDeviceUrl, match=words):
        opened(url, received.code, received.problem)


def test_a_scanner_unplugged_and_plugged_in_again_reads_again(received):
    """A USB-CDC scanner pulled out and put back is its port gone and back: the scanner's
    thread opens it again by itself, as the ID card reader's does, without a restart."""
    import time

    with opened("simscanner://", received.code, received.problem) as scanner:
        unplugged = scanner.port
        unplugged.unplug()
        assert isinstance(received.next(), ScannerUnavailable)
        until(lambda: scanner.port not in (unplugged, None) and scanner.port.is_open,
              what="the scanner opened again")
        scanner.port.scanner.scan(BOOKING)
        assert received.next() == BOOKING


def test_a_scanner_on_a_url_it_cannot_read_is_refused_before_its_thread_starts(received):
    """The simulator's options are read as the URL is, as kiosk.config reads them at start."""
    from devices.scanner import Scanner

    with pytest.raises(BadDeviceUrl, match="bad option suffix='tab'"):
        Scanner("simscanner://?suffix=tab", on_code=received.code, on_problem=received.problem)
