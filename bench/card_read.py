"""Card placed to record decoded, over the simulated reader paced at 115200 baud.

The SAM's read reply is 1,295 bytes: about 0.11 s on the wire at 115200 baud (10 bits a byte),
0.12 s with the find and select exchanges. This measures what the driver adds to that: each
read is the whole path a kiosk takes (find, select, read, frames cut and checked, the text
block decoded, the card checked and reduced to its Identification), first read back to back,
then with a card placed at a random moment while the kiosk polls the reader as its home screen
would. The simulator answers at once apart from the wire time; a real SAM also spends time on
the card's radio link (vendors quote 0.5-1 s for a whole read).

    .venv/bin/python bench/card_read.py
"""
from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.idcard import open_id_reader  # noqa: E402
from devices.urlhandler.protocol_simidcard import SAMPLE_CARD  # noqa: E402
from kiosk.identity import identify  # noqa: E402

BAUD = 115200
FRAME_BYTES = (10 + 11) + (10 + 11) + (10 + 1295)  # find, select, read: request and reply each
SALT = b"bench-salt-0123456789"


def wire_seconds(baud: int) -> float:
    return FRAME_BYTES * 10 / baud


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(times) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, max {ordered[-1] * 1000:6.1f} ms"


def back_to_back(baud: int, reads: int, warmup: int = 3) -> list[float]:
    times = []
    with open_id_reader(f"simidcard://?present=0&baudrate={baud}") as reader:
        simulated = reader.port.reader
        for i in range(warmup + reads):
            simulated.place(SAMPLE_CARD)
            started = time.perf_counter()
            identify(reader.read_card(), today=date(2026, 11, 25), salt=SALT)
            if i >= warmup:
                times.append(time.perf_counter() - started)
    return times


def placed_while_polling(baud: int, cards: int, poll_every: float) -> list[float]:
    """The time from place() to the Identification, the reader polled every ``poll_every`` s."""
    times: list[float] = []
    placed_at: list[float] = []
    done = threading.Event()
    with open_id_reader(f"simidcard://?present=0&baudrate={baud}") as reader:
        simulated = reader.port.reader

        def home_screen() -> None:
            while not done.is_set():
                record = reader.poll()
                if record is not None:
                    identify(record, today=date(2026, 11, 25), salt=SALT)
                    times.append(time.perf_counter() - placed_at[-1])
                    simulated.lift()
                time.sleep(poll_every)

        poller = threading.Thread(target=home_screen)
        poller.start()
        rng = random.Random(7)
        for _ in range(cards):
            time.sleep(rng.uniform(0.05, 0.3))
            placed_at.append(time.perf_counter())
            simulated.place(SAMPLE_CARD)
            while len(times) < len(placed_at):
                time.sleep(0.005)
        done.set()
        poller.join()
    return times


def main() -> None:
    print(f"wire time of find + select + read at {BAUD} baud: {wire_seconds(BAUD) * 1000:.1f} ms "
          f"({FRAME_BYTES} bytes)")
    times = back_to_back(BAUD, reads=40)
    overhead = statistics.median(times) - wire_seconds(BAUD)
    print(f"card read to Identification, back to back, 40 reads: {figures(times)} "
          f"(driver and decoding beyond the wire: {overhead * 1000:.1f} ms)")
    for poll_every in (0.1, 0.25):
        times = placed_while_polling(BAUD, cards=20, poll_every=poll_every)
        print(f"card placed to Identification, polling every {poll_every:.2f} s, 20 cards: {figures(times)}")
    slow = back_to_back(9600, reads=5, warmup=1)
    print(f"for comparison at 9600 baud (wire {wire_seconds(9600) * 1000:.0f} ms): {figures(slow)}")
    print("target for the whole path, card placed to ticket printed: <= 1.5 s")


if __name__ == "__main__":
    main()
