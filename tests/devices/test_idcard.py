"""The ID card reader driver against the simulated SAM over a real pty, loop:// and simidcard://."""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import date

import pytest

from devices import idcard_protocol as sam
from devices.errors import (
    BadDeviceUrl,
    CardDataInvalid,
    CardReadFailed,
    IdReaderFrameError,
    IdReaderTimeout,
    IdReaderUnavailable,
    NoCard,
    SamFault,
)
from devices.idcard import open_id_reader
from devices.idcard_record import NATIONS
from devices.urlhandler.protocol_simidcard import SimulatedCard, SimulatedIdCardReader
from tests.devices.idcards import card_fields, card_toml
from tests.devices.pty_device import PtyDevice

READ = sam.READ_TEXT_AND_PHOTO


class PtyReader(PtyDevice):
    """A simulated SAM on a real pty."""

    @property
    def sam(self) -> SimulatedIdCardReader:
        return self.device


@pytest.fixture
def pty_reader():
    made: list[PtyReader] = []

    def make(*cards: dict[str, str], **options) -> PtyReader:
        simulated = [SimulatedCard.from_fields(c) for c in cards] or [SimulatedCard.from_fields(card_fields())]
        made.append(PtyReader(SimulatedIdCardReader(simulated, **options)))
        return made[-1]

    yield make
    for pty in made:
        pty.close()


def test_the_sample_card_over_a_real_pty(pty_reader):
    pty = pty_reader()
    with open_id_reader(pty.url) as reader:
        reader.check()
        record = reader.read_card()
    assert (record.name, record.id_number, record.valid_until) == ("王秀英", "11010519491231002X", None)
    assert pty.sam.commands == [sam.SAM_STATUS, sam.FIND_CARD, sam.SELECT_CARD, READ]
    assert pty.sam.reads == 1


def test_rare_names_and_every_nation_code_in_turn_over_a_pty(pty_reader):
    cards = [card_fields(name="𠮷祥"), card_fields(name="刘䶮", valid_until="20360101")]
    cards += [card_fields(nation=code) for code in sorted(NATIONS)]
    pty = pty_reader(*cards)
    with open_id_reader(pty.url) as reader:
        records = [reader.read_card() for _ in cards]
        assert reader.poll() is None  # the last card lies there, read: the SAM halted it
    assert [r.name for r in records[:2]] == ["𠮷祥", "刘䶮"]
    assert records[1].valid_until == date(2036, 1, 1) and records[0].valid_until is None
    assert [r.nation.code for r in records[2:]] == sorted(NATIONS)
    assert [r.nation.name for r in records[2:5]] == ["汉", "蒙古", "回"]


def test_no_card(pty_reader):
    pty = pty_reader(present=False)
    with open_id_reader(pty.url) as reader:
        assert reader.poll() is None
        with pytest.raises(NoCard, match="no card on the ID card reader serial:///dev/"):
            reader.read_card()


def test_a_card_placed_after_the_reader_was_asked(pty_reader):
    pty = pty_reader(present=False)
    with open_id_reader(pty.url) as reader:
        assert reader.poll() is None
        pty.sam.place(SimulatedCard.from_fields(card_fields(name="李四")))
        assert reader.poll().name == "李四"
        assert reader.poll() is None


@pytest.mark.parametrize("fault, fault_on", [("bad_checksum", "read"), ("truncated", "read"),
                                             ("bad_checksum", "find"), ("truncated", "select")])
def test_a_reply_spoilt_once_is_asked_for_again(pty_reader, fault, fault_on, caplog):
    pty = pty_reader(fault=fault, fault_on=fault_on, fault_times=1)
    with open_id_reader(pty.url, timeout=0.3) as reader:
        assert reader.read_card().name == "王秀英"
    assert "trying again (2 of 3)" in caplog.text
    assert pty.sam.reads >= 1


def test_a_checksum_bad_every_time_ends_in_a_frame_error_after_three_tries(pty_reader):
    pty = pty_reader(fault="bad_checksum")
    with open_id_reader(pty.url) as reader:
        with pytest.raises(IdReaderFrameError, match="reply to read card: bad checksum in a 1295-byte frame"):
            reader.read_card()
    assert pty.sam.commands.count(READ) == 3


def test_a_reply_always_cut_short_ends_in_a_timeout_naming_the_bytes(pty_reader):
    pty = pty_reader(fault="truncated")
    with open_id_reader(pty.url, timeout=0.2) as reader:
        with pytest.raises(IdReaderTimeout, match="reply to read card stopped after 647 of 1295 bytes") as caught:
            reader.read_card()
    assert caught.value.partial == 647


def test_a_silent_reader_times_out_once_without_retrying(pty_reader):
    pty = pty_reader(fault="silent", fault_on="find")
    with open_id_reader(pty.url, timeout=0.3) as reader:
        started = time.monotonic()
        with pytest.raises(IdReaderTimeout, match="no reply to find card within 0.3 s; is it connected"):
            reader.read_card()
        elapsed = time.monotonic() - started
    assert elapsed >= 0.29  # the timeout given; asked once, so never twice that
    assert pty.sam.commands == [sam.FIND_CARD]


@pytest.mark.parametrize("status, words", [(0x60, "SAM self-test failed"), (0x66, "SAM not authorised"),
                                           (0x21, "does not know the command"), (0x07, "unknown status 0x07")])
def test_a_sam_error_status_is_a_sam_fault_naming_it(pty_reader, status, words):
    pty = pty_reader(fault="sam_error", fault_status=status)
    with open_id_reader(pty.url) as reader:
        with pytest.raises(SamFault, match=words) as caught:
            reader.read_card()
    assert caught.value.status == status
    assert pty.sam.commands.count(READ) == 1


def test_a_sam_fault_at_the_status_check(pty_reader):
    pty = pty_reader(fault="sam_error", fault_on="status", fault_status=0x66)
    with open_id_reader(pty.url) as reader:
        with pytest.raises(SamFault, match="SAM status: SAM not authorised"):
            reader.check()


def test_a_card_lifted_mid_read_asks_for_it_again_and_reads_it_when_placed_back(pty_reader):
    pty = pty_reader(fault="lifted", fault_times=1)
    with open_id_reader(pty.url) as reader:
        with pytest.raises(CardReadFailed, match="taken away before it was read; place it on the reader again"):
            reader.read_card()
        pty.sam.place(pty.sam.lifted)
        assert reader.read_card().name == "王秀英"


def test_a_card_whose_text_is_not_a_resident_card(pty_reader):
    pty = pty_reader(card_fields(nation="77"))
    with open_id_reader(pty.url) as reader:
        with pytest.raises(CardDataInvalid, match="serial://.*the nation field is not a GB/T 3304 code"):
            reader.read_card()


def test_an_unplugged_pty_is_unavailable(pty_reader):
    pty = pty_reader()
    with open_id_reader(pty.url, timeout=0.3) as reader:
        pty.unplug()
        with pytest.raises(IdReaderUnavailable, match="stopped answering .*: is it plugged in"):
            reader.read_card()


def test_an_unplugged_reader_is_opened_again_on_the_next_call():
    with open_id_reader("simidcard://?loop=1") as reader:
        reader.port.unplug()
        with pytest.raises(IdReaderUnavailable, match="simulated: the device was unplugged"):
            reader.read_card()
        assert reader.read_card().name == "王秀英"  # plugged back in: a new port


def test_a_reader_that_cannot_be_opened(tmp_path):
    with pytest.raises(IdReaderUnavailable, match="cannot open the ID card reader serial://.*no-such-tty"):
        open_id_reader(f"serial://{tmp_path}/no-such-tty")
    with pytest.raises(IdReaderUnavailable, match="refused"):
        open_id_reader("tcp://127.0.0.1:9")


def test_a_loopback_echoes_requests_which_are_no_replies():
    """RX wired to TX: the driver hears its own request and says it is not a response."""
    with open_id_reader("loop://") as reader:
        with pytest.raises(IdReaderFrameError, match="reply to find card: a response needs SW1 SW2 SW3"):
            reader.find_card()


def test_the_wire_trace_never_holds_the_card_text(caplog):
    caplog.set_level(logging.DEBUG, logger="devices.wire")
    with open_id_reader("simidcard://") as reader:
        reader.read_card()
        recent = reader.wire.recent()
    assert recent[-1] == "<< 1295 bytes: aa aa aa 96 69 05 08 00 00 90 01 00 04 00 (+1281 bytes not shown)"
    text = caplog.text + "\n".join(recent)
    assert "王".encode("utf-16-le").hex(" ") not in text and "738b" not in text.replace(" ", "")
    assert "1295 bytes" in caplog.text and "(+1281 bytes not shown)" in caplog.text


def test_a_paced_reader_takes_the_wire_time():
    with open_id_reader("simidcard://?baudrate=115200") as reader:
        started = time.monotonic()
        reader.read_card()
        elapsed = time.monotonic() - started
    wire = 10 * (10 + 10 + 10 + 11 + 11 + 1295) / 115200  # three requests, three replies
    assert elapsed >= wire * 0.95


@pytest.mark.parametrize("url, words", [
    ("usb://1234:5678", "unknown ID card reader URL"),
    ("serial://", "no port named"),
    ("serial:///dev/ttyUSB0?baud=115200", "unknown option 'baud'"),
    ("tcp://reader", "expected tcp://HOST:PORT"),
    ("simidcard://?fault=fire", "fault must be one of"),
])
def test_bad_urls_name_the_expected_forms(url, words):
    with pytest.raises(BadDeviceUrl, match=words):
        open_id_reader(url)


@pytest.mark.skipif("HALL_ID_READER_URL" not in os.environ, reason="set HALL_ID_READER_URL and place a card")
def test_real_reader():
    with open_id_reader(os.environ["HALL_ID_READER_URL"]) as reader:
        reader.check()
        assert reader.read_card().id_number


def test_card_file_cards_in_turn(tmp_path):
    path = tmp_path / "cards.toml"
    path.write_text(card_toml(card_fields(name="甲"), card_fields(name="乙")), encoding="utf-8")
    with open_id_reader(f"simidcard://?card={path}") as reader:
        assert [reader.poll().name, reader.poll().name, reader.poll()] == ["甲", "乙", None]


def test_two_threads_reading_take_turns():
    results, errors = [], []

    def read_twenty(reader) -> None:
        for _ in range(20):
            try:
                results.append(reader.read_card().name)
            except Exception as e:  # noqa: BLE001  (any error is the failure this test looks for)
                errors.append(e)

    with open_id_reader("simidcard://?loop=1") as reader:
        threads = [threading.Thread(target=read_twenty, args=(reader,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == [] and results == ["王秀英"] * 40
