"""QR decoding per camera frame, zbar (pyzbar, binary mode) beside zxing-cpp, in one run.

For each frame size, every test frame (tests/devices/qr_frames.py: six payloads, four of
them Chinese, through seven mild and six harsh distortions) is decoded by both decoders, in
alternation so the busy machine slows both alike; each decoder's time per frame, the ratio of
the two, and the share of frames it read exactly are printed. A frame of the same cluttered
desk with no code is timed apart: a camera at a kiosk sees mostly those.

    .venv/bin/python bench/qr_decode.py
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.qr_decode import qr_decoder  # noqa: E402
from tests.devices.qr_frames import DISTORTIONS, HARSH_DISTORTIONS, PAYLOADS, desk, noisy  # noqa: E402

SIZES = ((640, 480), (1280, 720))
NAMES = ("zbar", "zxing")
ROUNDS = 3


def frames(size: tuple[int, int]) -> list:
    made = []
    for strength, table in (("mild", DISTORTIONS), ("harsh", HARSH_DISTORTIONS)):
        for name, make in table.items():
            for seed, payload in enumerate(PAYLOADS):
                made.append((f"{strength} {name}", payload, make(payload, size, seed)))
    return made


def main() -> None:
    decoders = {name: qr_decoder(name) for name in NAMES}
    print("frame      decoder  ms/frame with a code  ms/frame empty  read mild  read harsh")
    for size in SIZES:
        test_frames = frames(size)
        empty = noisy(desk(size, random.Random(99)), 8)
        for decoder in decoders.values():  # warm up: libraries loaded, caches filled
            decoder.decode(test_frames[0][2])
        times = {name: [] for name in NAMES}
        empty_times = {name: [] for name in NAMES}
        read = {name: {"mild": 0, "harsh": 0} for name in NAMES}
        counts = {"mild": 0, "harsh": 0}
        for round_ in range(ROUNDS):
            for label, payload, frame in test_frames:
                strength = label.split()[0]
                if round_ == 0:
                    counts[strength] += 1
                for name, decoder in decoders.items():
                    started = time.perf_counter()
                    found = decoder.decode(frame)
                    times[name].append(time.perf_counter() - started)
                    if round_ == 0:
                        read[name][strength] += found == [payload]
                    started = time.perf_counter()
                    decoder.decode(empty)
                    empty_times[name].append(time.perf_counter() - started)
        size_text = f"{size[0]}x{size[1]}"
        for name in NAMES:
            code_ms = statistics.median(times[name]) * 1000
            empty_ms = statistics.median(empty_times[name]) * 1000
            print(f"{size_text:<10} {name:<8} {code_ms:20.1f} {empty_ms:15.1f} "
                  f"{read[name]['mild']:>5}/{counts['mild']:<4} {read[name]['harsh']:>6}/{counts['harsh']}")
        ratio = statistics.median(times["zbar"]) / statistics.median(times["zxing"])
        empty_ratio = statistics.median(empty_times["zbar"]) / statistics.median(empty_times["zxing"])
        print(f"{size_text:<10} zbar/zxing time ratio: {ratio:.1f}x with a code, {empty_ratio:.1f}x empty")
    print(f"times: medians over all test frames, {ROUNDS} rounds, decoders alternating; 'read': frames "
          "decoded to exactly their payload; zbar's time includes its second, smoothed look when the first finds nothing")


if __name__ == "__main__":
    main()
