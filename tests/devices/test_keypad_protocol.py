"""Keypad frames built and cut exactly as docs/rating-keypad.md gives them, and a framer no input can break."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices import keypad_protocol as kp
from devices.errors import KeypadFrameError
from tests.devices.byte_streams import feed_in_pieces, spoil

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "rating-keypad.md").read_text(encoding="utf-8")

# The protocol, "Byte-level examples": each frame as the code builds it, and its bytes.
EXAMPLES = [
    (1, 1, kp.Poll(), "A5 01 01 01 00 39 B5"),
    (1, 1, kp.Status(kp.KeypadState.IDLE, 0, frozenset()), "A5 01 01 80 04 00 00 00 00 F2 AB"),
    (1, 2, kp.Prompt(1, "A001", 60), "A5 01 02 10 07 00 01 3C 41 30 30 31 52 EC"),
    (1, 2, kp.Status(kp.KeypadState.PROMPTING, 1, frozenset()), "A5 01 02 80 04 01 00 01 00 C1 C7"),
    (1, 3, kp.Poll(), "A5 01 03 01 00 98 75"),
    (1, 3, kp.KeyEvent(1, 1, 2, frozenset()), "A5 01 03 81 05 01 00 01 02 00 D7 2D"),
    (1, 4, kp.Ack(1), "A5 01 04 02 01 01 45 8E"),
    (1, 4, kp.Status(kp.KeypadState.RATED, 1, frozenset()), "A5 01 04 80 04 02 00 01 00 A7 83"),
    (1, 5, kp.Light(frozenset({2})), "A5 01 05 11 01 02 F5 B6"),
    (1, 6, kp.Beep(2, 100), "A5 01 06 12 02 02 0A 42 04"),
    (1, 7, kp.Show("A002"), "A5 01 07 13 04 41 30 30 32 08 2E"),
    (1, 8, kp.Idle(), "A5 01 08 14 00 E7 27"),
    (1, 9, kp.Refused(kp.RefusedReason.UNKNOWN_COMMAND), "A5 01 09 8F 01 01 D7 09"),
    (2, 1, kp.Poll(), "A5 02 01 01 00 39 F1"),
]


def encode(address: int, seq: int, message: kp.Request | kp.Reply) -> bytes:
    if message.command & 0x80:
        return kp.encode_reply(address, seq, message)
    return kp.encode_request(address, seq, message)


@pytest.mark.parametrize("vector, crc", [(b"123456789", 0x4B37), (b"", 0xFFFF), (b"\x01\x03\x00\x00\x00\x01", 0x0A84),
                                         (b"\x11\x03\x00\x6b\x00\x03", 0x8776)])
def test_crc16_modbus_known_vectors(vector, crc):
    # The check value of CRC-16/MODBUS, and two Modbus RTU requests whose CRCs the spec's examples give
    # (read holding register 0 of unit 1: CRC bytes 84 0A; register 0x6B..0x6D of unit 17: 76 87).
    assert kp.crc16_modbus(vector) == crc


@pytest.mark.parametrize("address, seq, message, expected", EXAMPLES)
def test_each_frame_is_the_documented_bytes(address, seq, message, expected):
    assert encode(address, seq, message) == bytes.fromhex(expected)
    assert f"`{expected}`" in PROTOCOL


@pytest.mark.parametrize("address, seq, message, expected", EXAMPLES)
def test_each_documented_frame_decodes_back(address, seq, message, expected):
    framer = kp.KeypadFramer()
    framer.data_received(bytes.fromhex(expected))
    [frame] = framer.events
    assert (frame.address, frame.seq, frame.command) == (address, seq, message.command)
    decoded = kp.decode_reply(frame) if frame.command & 0x80 else kp.decode_request(frame)
    assert decoded == message


def test_keys_are_levels_five_to_one():
    assert kp.KEY_LEVELS == {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}
    assert kp.KeyEvent(1, 1, 5, frozenset()).level == 1
    assert kp.key_mask({1, 5}) == 0x11 and kp.mask_keys(0x11) == {1, 5}


def test_sequence_numbers_wrap_past_zero():
    assert [kp.next_seq(s) for s in (0, 1, 254, 255)] == [1, 2, 255, 1]


@pytest.mark.parametrize("request_, words", [
    (kp.Prompt(0, "A001", 60), "transaction 0 is outside 1..65535"),
    (kp.Prompt(1, "a001", 60), "does not fit the keypad's display"),
    (kp.Prompt(1, "A00000001", 60), "does not fit the keypad's display"),
    (kp.Prompt(1, "A001", 256), "timeout is 0..255 s"),
    (kp.Light(frozenset({6})), "key 6 is not one of 1..5"),
    (kp.Beep(10, 100), "a beep is 1..9 times"),
    (kp.Beep(1, 5), "a beep is 1..9 times"),
    (kp.Show("排队"), "does not fit"),
    (kp.Ack(0), "event number 0 is outside 1..255"),
])
def test_values_a_frame_cannot_carry_are_refused(request_, words):
    with pytest.raises(ValueError, match=words):
        kp.encode_request(1, 1, request_)


@pytest.mark.parametrize("address, seq", [(0, 1), (248, 1), (1, 0), (1, 256)])
def test_addresses_and_sequence_numbers_out_of_range(address, seq):
    with pytest.raises(ValueError):
        kp.encode_request(address, seq, kp.Poll())


@pytest.mark.parametrize("frame, words", [
    (kp.Frame(1, 1, 0x7E), "unknown command 0x7e"),
    (kp.Frame(1, 1, kp.POLL, b"\x00"), "POLL from address 1 has 1 data bytes, expected 0"),
    (kp.Frame(1, 1, kp.PROMPT, b"\x00\x01"), "PROMPT from address 1 has 2 data bytes, expected 3..11"),
    (kp.Frame(1, 1, kp.PROMPT, b"\x00\x00\x3cA001"), "transaction 0"),
    (kp.Frame(1, 1, kp.SHOW, b"\xff"), "command 0x13 to address 1"),
])
def test_bad_requests_are_frame_errors(frame, words):
    with pytest.raises(KeypadFrameError, match=words):
        kp.decode_request(frame)


@pytest.mark.parametrize("frame, words", [
    (kp.Frame(1, 1, 0x99), "unknown reply 0x99"),
    (kp.Frame(1, 1, kp.STATUS, b"\x07\x00\x00\x00"), "unknown state 7"),
    (kp.Frame(1, 1, kp.KEY, b"\x01\x00\x01\x06\x00"), "key 6"),
    (kp.Frame(1, 1, kp.KEY, b"\x00\x00\x01\x01\x00"), "event 0"),
    (kp.Frame(1, 1, kp.KEY, b"\x01"), "KEY from address 1 has 1 data bytes, expected 5"),
])
def test_bad_replies_are_frame_errors(frame, words):
    with pytest.raises(KeypadFrameError, match=words):
        kp.decode_reply(frame)


def test_a_bad_crc_is_reported_and_the_next_frame_still_read():
    bad = bytearray(kp.encode_request(1, 1, kp.Poll()))
    bad[-1] ^= 0x01
    framer = kp.KeypadFramer()
    framer.data_received(bytes(bad) + kp.encode_request(2, 1, kp.Poll()))
    error, frame = framer.events
    assert isinstance(error, KeypadFrameError) and error.reason == "crc"
    assert "bad CRC in a 7-byte frame: got 0xb439, expected 0xb539" in str(error)
    assert frame.address == 2


def test_an_impossible_length_is_refused_at_once():
    framer = kp.KeypadFramer()
    framer.data_received(b"\xa5\x01\x01\x01\x21")
    [error] = framer.events
    assert error.reason == "length" and "frame length 33 is over 32" in str(error)


def test_progress_of_a_frame_in_flight():
    framer = kp.KeypadFramer()
    reply = kp.encode_reply(1, 1, kp.KeyEvent(1, 1, 1, frozenset()))
    framer.data_received(reply[:3])
    assert framer.pending == 3 and framer.expected is None
    framer.data_received(reply[3:8])
    assert framer.pending == 8 and framer.expected == len(reply) == 12


# Property tests: the framer never raises, and what it emits is exactly what was framed.

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
frames = st.builds(kp.Frame, st.integers(kp.MIN_ADDRESS, kp.MAX_ADDRESS), st.integers(1, kp.MAX_SEQ),
                   st.integers(0, 255), st.binary(max_size=kp.MAX_DATA))


@PROPERTY
@given(st.lists(frames, min_size=1, max_size=8), st.lists(st.integers(min_value=0), max_size=20))
def test_split_and_glued_frames_come_out_whole_and_in_order(sent, cuts):
    framer = feed_in_pieces(kp.KeypadFramer(), b"".join(kp.encode_frame(f) for f in sent), cuts)
    assert list(framer.events) == sent
    assert framer.pending == 0 and framer.skipped == 0


@PROPERTY
@given(st.lists(st.tuples(st.binary(max_size=40).map(lambda b: b.replace(b"\xa5", b"")), frames), min_size=1,
                max_size=5), st.lists(st.integers(min_value=0), max_size=20))
def test_garbage_between_frames_is_skipped_and_counted(pieces, cuts):
    stream = b"".join(noise + kp.encode_frame(f) for noise, f in pieces)
    framer = feed_in_pieces(kp.KeypadFramer(), stream, cuts)
    assert list(framer.events) == [f for _, f in pieces]
    assert framer.skipped == sum(len(noise) for noise, _ in pieces)


@PROPERTY
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=20))
def test_random_bytes_give_only_frames_or_frame_errors(stream, cuts):
    framer = feed_in_pieces(kp.KeypadFramer(), stream, cuts)
    for event in framer.events:
        assert isinstance(event, (kp.Frame, KeypadFrameError))
        if isinstance(event, kp.Frame):
            assert kp.encode_frame(event) in stream  # only frames whose CRC holds get through


@PROPERTY
@given(st.lists(frames, min_size=1, max_size=4), st.data())
def test_spoilt_streams_give_only_frames_or_frame_errors(sent, data):
    stream = spoil(b"".join(kp.encode_frame(f) for f in sent), data)
    framer = feed_in_pieces(kp.KeypadFramer(), stream, data.draw(st.lists(st.integers(min_value=0), max_size=10)))
    for event in framer.events:
        assert isinstance(event, (kp.Frame, KeypadFrameError))
        if isinstance(event, kp.Frame):
            assert kp.encode_frame(event) in stream


@pytest.mark.parametrize("number, shown", [("A001", "A001"), ("a-12", "A-12"), ("绿A001", "A001"),
                                           ("VIP0000001", "VIP00000")])
def test_what_a_display_can_show_of_a_ticket_number(number, shown):
    assert kp.display_text(number) == shown
    kp.check_display(shown)
