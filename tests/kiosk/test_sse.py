"""The Server-Sent Events framer on its own: the hall server's real messages, cut anywhere,
with comments, multi-line data and every line end, and garbage that never raises."""
from __future__ import annotations

import random

import pytest

from kiosk.sse import MAX_LINE, Message, SseFramer

# What the hall server sends (hall/api/routes/events.py): retry, ready, two events, a keepalive.
STREAM = ("retry: 1000\n\n"
          "id: 7\nevent: ready\ndata: {\"last_event_id\": 7}\n\n"
          "id: 8\nevent: completed\ndata: {\"id\": 8, \"kind\": \"completed\", \"counter\": \"3\"}\n\n"
          ": keepalive\n\n"
          "id: 9\nevent: called\ndata: {\"id\": 9, \"kind\": \"called\", \"counter\": \"3\"}\n\n").encode()
EXPECTED = [Message("ready", '{"last_event_id": 7}', "7"),
            Message("completed", '{"id": 8, "kind": "completed", "counter": "3"}', "8"),
            Message("called", '{"id": 9, "kind": "called", "counter": "3"}', "9")]


def feed(framer: SseFramer, *chunks: bytes) -> list[Message]:
    return [m for chunk in chunks for m in framer.data_received(chunk)]


def test_the_servers_stream_in_one_chunk_gives_its_messages_and_its_retry():
    framer = SseFramer()
    assert feed(framer, STREAM) == EXPECTED
    assert framer.retry == 1000


@pytest.mark.parametrize("seed", range(20))
def test_the_stream_cut_anywhere_gives_the_same_messages(seed):
    chance = random.Random(seed)
    cuts = sorted(chance.sample(range(1, len(STREAM)), chance.randint(1, 40)))
    chunks = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)])]
    assert feed(SseFramer(), *chunks) == EXPECTED


def test_a_stream_fed_byte_by_byte_gives_the_same_messages():
    assert feed(SseFramer(), *(STREAM[i:i + 1] for i in range(len(STREAM)))) == EXPECTED


@pytest.mark.parametrize("end", [b"\r\n", b"\r", b"\n"])
def test_every_line_end_the_standard_allows(end):
    stream = STREAM.replace(b"\n", end)
    assert feed(SseFramer(), stream) == EXPECTED
    assert feed(SseFramer(), *(stream[i:i + 1] for i in range(len(stream)))) == EXPECTED


def test_a_cr_lf_split_between_chunks_is_one_line_end():
    assert feed(SseFramer(), b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [Message("message", "a\nb", None)]


def test_multi_line_data_is_joined_with_newlines_and_one_space_after_the_colon_is_dropped():
    assert feed(SseFramer(), b"data:one\ndata:  two\ndata\n\n") == [Message("message", "one\n two\n", None)]


def test_comments_unknown_fields_and_messages_without_data_give_nothing():
    framer = SseFramer()
    assert feed(framer, b": hello\n\nevent: tick\n\nid: 5\n\nfoo: bar\n\n\n\n") == []
    assert feed(framer, b"data: x\n\n") == [Message("message", "x", None)]  # nothing carried over


def test_a_retry_that_is_not_digits_is_ignored():
    framer = SseFramer()
    feed(framer, b"retry: 500\n\nretry: soon\n\nretry: -1\n\nretry: \xef\xbc\x91\n\n")
    assert framer.retry == 500


def test_an_id_with_a_nul_is_ignored():
    assert feed(SseFramer(), b"id: 1\0 2\ndata: x\n\n") == [Message("message", "x", None)]


def test_a_utf8_character_split_between_chunks_is_kept_and_bad_bytes_become_replacement_characters():
    text = "data: 城关\n\n".encode()
    assert feed(SseFramer(), text[:8], text[8:]) == [Message("message", "城关", None)]
    assert feed(SseFramer(), b"data: \xff\xfe ok\n\n") == [Message("message", "\ufffd\ufffd ok", None)]


def test_a_byte_order_mark_at_the_start_is_dropped():
    assert feed(SseFramer(), b"\xef\xbb", b"\xbfdata: x\n\n") == [Message("message", "x", None)]


@pytest.mark.parametrize("seed", range(10))
def test_garbage_never_raises_and_the_framer_reads_on_after_it(seed):
    chance = random.Random(seed)
    framer = SseFramer()
    for _ in range(50):
        framer.data_received(bytes(chance.randrange(256) for _ in range(chance.randint(0, 300))))
    assert feed(framer, b"\n\n" + STREAM) == EXPECTED


def test_a_line_longer_than_the_limit_is_dropped_whole_and_the_next_is_read():
    framer = SseFramer()
    chunk = b"x" * 65536
    for _ in range(MAX_LINE // len(chunk) + 2):
        assert framer.data_received(chunk) == []
    assert len(framer._partial) <= MAX_LINE
    assert feed(framer, b"still the long line\n\n" + STREAM) == EXPECTED
