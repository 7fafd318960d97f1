"""SAM frames built and cut exactly as the reference gives them, and a framer no input can break."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices import idcard_protocol as sam
from devices.errors import IdReaderFrameError
from tests.devices.byte_streams import feed_in_pieces, spoil

# Reference, "Commands": the bytes after the preamble of each request.
REFERENCE_REQUESTS = [
    (sam.SAM_STATUS, "00 03 11 FF ED"),
    (sam.FIND_CARD, "00 03 20 01 22"),
    (sam.SELECT_CARD, "00 03 20 02 21"),
    (sam.READ_TEXT_AND_PHOTO, "00 03 30 01 32"),
    (b"\x12\xff", "00 03 12 FF EE"),  # read SAM id
    (b"\x30\x03", "00 03 30 03 30"),  # read appended address
    (b"\x30\x10", "00 03 30 10 23"),  # text, photo and fingerprint
]


@pytest.mark.parametrize("command, after_preamble", REFERENCE_REQUESTS)
def test_requests_are_the_reference_bytes(command, after_preamble):
    assert sam.encode_request(command) == bytes.fromhex("AA AA AA 96 69 " + after_preamble)


def test_a_read_reply_has_the_reference_header_and_size():
    reply = sam.encode_response(sam.SamStatus.OK, sam.encode_card_data(bytes(256), bytes(1024)))
    assert reply[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert len(reply) == 1295


def test_a_whole_frame_in_one_chunk():
    framer = sam.SamFramer()
    framer.data_received(sam.encode_response(sam.SamStatus.CARD_FOUND))
    [frame] = framer.events
    response = sam.parse_response(frame)
    assert (response.sw1, response.sw2, response.sw3, response.data) == (0, 0, 0x9F, b"")
    assert response.meaning == "card found"


def test_split_and_glued_frames_come_out_whole_and_in_order():
    stream = sam.encode_response(0x9F) + sam.encode_response(0x90) + sam.encode_response(0x90, b"x" * 300)
    framer = sam.SamFramer()
    for i in range(0, len(stream), 7):
        framer.data_received(stream[i : i + 7])
    assert [sam.parse_response(f).sw3 for f in framer.events] == [0x9F, 0x90, 0x90]
    assert framer.pending == 0


def test_noise_before_a_frame_is_skipped_and_counted():
    framer = sam.SamFramer()
    framer.data_received(b"\x00\xff\xaa\xaa" + sam.encode_response(0x80))
    assert [sam.parse_response(f).sw3 for f in framer.events] == [0x80]
    assert framer.skipped == 4


def test_a_bad_checksum_is_reported_and_the_next_frame_still_read():
    bad = bytearray(sam.encode_response(0x90, b"abc"))
    bad[-1] ^= 0x01
    framer = sam.SamFramer()
    framer.data_received(bytes(bad) + sam.encode_response(0x9F))
    error, frame = framer.events
    assert isinstance(error, IdReaderFrameError) and error.reason == "checksum"
    assert "bad checksum in a 14-byte frame: got 0xf6, expected 0xf7" in str(error)
    assert sam.parse_response(frame).sw3 == 0x9F


def test_a_frame_cut_short_by_the_next_costs_only_itself():
    read_reply = sam.encode_response(0x90, sam.encode_card_data(bytes(256), bytes(1024)))
    framer = sam.SamFramer()
    framer.data_received(read_reply[:600] + read_reply)
    events = list(framer.events)
    assert isinstance(events[0], IdReaderFrameError)
    assert isinstance(events[-1], sam.Frame) and len(events[-1].body) == 1287


def test_an_impossible_length_is_refused_at_once():
    framer = sam.SamFramer()
    framer.data_received(sam.PREAMBLE + b"\xff\xff")
    [error] = framer.events
    assert error.reason == "length" and "65535" in str(error)
    framer.data_received(sam.PREAMBLE + b"\x00\x01\x00")
    assert framer.events[-1].reason == "length"


def test_progress_of_a_frame_in_flight():
    framer = sam.SamFramer()
    reply = sam.encode_response(0x90, b"x" * 100)
    framer.data_received(reply[:5])
    assert framer.pending == 5 and framer.expected is None
    framer.data_received(reply[5:50])
    assert framer.pending == 50 and framer.expected == len(reply)


@pytest.mark.parametrize("body, kind", [(b"", "response"), (b"\x00\x00", "response"), (b"\x20", "request")])
def test_bodies_too_short_for_their_kind(body, kind):
    frame = sam.Frame(body)
    with pytest.raises(IdReaderFrameError):
        sam.parse_response(frame) if kind == "response" else sam.parse_request(frame)


def test_card_data_lengths_must_add_up():
    assert sam.card_text(sam.encode_card_data(b"t" * 256, b"p" * 1024)) == b"t" * 256
    with pytest.raises(IdReaderFrameError, match="announces 256 text and 1024 photo bytes but carries 1279"):
        sam.card_text(sam.encode_card_data(b"t" * 256, b"p" * 1024)[:-1])
    with pytest.raises(IdReaderFrameError, match="two lengths"):
        sam.card_text(b"\x01")


def test_every_status_has_words():
    assert sam.status_meaning(0x66) == "SAM not authorised"
    assert sam.status_meaning(0x07) == "unknown status 0x07"
    assert all(status.meaning for status in sam.SamStatus)


# Property tests: the framer never raises, and what it emits is exactly what was framed.

bodies = st.binary(min_size=3, max_size=300)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(bodies, min_size=1, max_size=6), st.lists(st.integers(min_value=0), max_size=20))
def test_any_chunking_of_valid_frames_yields_them_all(frame_bodies, cuts):
    stream = b"".join(sam.encode_frame(b) for b in frame_bodies)
    framer = feed_in_pieces(sam.SamFramer(), stream, cuts)
    assert [e.body for e in framer.events] == frame_bodies


@PROPERTY
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=20))
def test_random_bytes_give_only_frames_or_frame_errors(stream, cuts):
    framer = feed_in_pieces(sam.SamFramer(), stream, cuts)
    for event in framer.events:
        assert isinstance(event, (sam.Frame, IdReaderFrameError))
        if isinstance(event, sam.Frame):
            assert sam.encode_frame(event.body) in stream  # only checksummed frames get through


@PROPERTY
@given(st.lists(bodies, min_size=1, max_size=4), st.data())
def test_mutated_streams_give_only_frames_or_frame_errors(frame_bodies, data):
    stream = spoil(b"".join(sam.encode_frame(b) for b in frame_bodies), data)
    framer = feed_in_pieces(sam.SamFramer(), stream, data.draw(st.lists(st.integers(min_value=0), max_size=10)))
    for event in framer.events:
        assert isinstance(event, (sam.Frame, IdReaderFrameError))


@PROPERTY
@given(st.binary(max_size=500).map(lambda b: b.replace(b"\xaa", b"")), st.lists(bodies, min_size=1, max_size=3))
def test_frames_after_noise_are_all_recovered(noise, frame_bodies):
    framer = sam.SamFramer()
    framer.data_received(noise + b"".join(sam.encode_frame(b) for b in frame_bodies))
    assert [e.body for e in framer.events] == frame_bodies
    assert framer.skipped == len(noise)
