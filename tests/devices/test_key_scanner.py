"""The keyboard-wedge scanner read from its input device: each key with the kernel's time."""
from __future__ import annotations

import os
import queue

import pytest

from devices.errors import BadDeviceUrl
from devices.key_scanner import ENTER, KeyScanner, device_path
from tests.devices.keyboard_events import typed


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "event-kbd"
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)  # never blocks, and the reader never sees the end
    yield path, writer
    os.close(writer)


def test_keys_come_with_the_times_the_kernel_took_them_however_late_they_are_read(fifo):
    path, writer = fifo
    keys: queue.Queue = queue.Queue()
    scanner = KeyScanner(f"evdev://{path}", on_key=lambda char, at: keys.put((char, at)),
                         on_problem=keys.put).start()
    try:
        presses = typed("Ab1~" + ENTER, 500.0, 0.005)
        os.write(writer, b"".join(presses[:2]))
        assert [keys.get(timeout=5) for _ in range(2)] == [("A", 500.0), ("b", 500.005)]
        os.write(writer, b"".join(presses[2:]))  # read late: the times are still the keys' own
        got = [keys.get(timeout=5) for _ in range(3)]
        assert [c for c, _ in got] == ["1", "~", ENTER]
        assert [at for _, at in got] == pytest.approx([500.010, 500.015, 500.020])
    finally:
        scanner.close()


@pytest.mark.parametrize("url", ["evdev://", "evdev://host/dev/input/event3", "evdev:///dev/input/event3?grab=0",
                                 "/dev/input/event3", "hid:///dev/hidraw0"])
def test_a_url_that_names_no_input_device_is_refused(url):
    with pytest.raises(BadDeviceUrl, match="evdev:///dev/input/by-id/usb-SCANNER-event-kbd"):
        device_path(url)
