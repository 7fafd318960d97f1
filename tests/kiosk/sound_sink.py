"""A stand-in sound card for the voice tests: takes WAV on stdin like sox's play, keeps it
in FOLDER/<pid>.wav, and takes as long as the audio lasts, as a card playing it would.
It notes "<pid> start <bytes>" and, only if it played to the end, "<pid> done" in FOLDER/log.
While FOLDER/unplugged exists it fails as sox's play does without a sound device.

    python sound_sink.py FOLDER
"""
import os
import sys
import time
from pathlib import Path

folder = Path(sys.argv[1])
data = sys.stdin.buffer.read()
if (folder / "unplugged").exists():
    sys.stderr.write("play FAIL formats: can't open output file `default': No such device\n")
    sys.exit(2)
(folder / f"{os.getpid()}.wav").write_bytes(data)
with open(folder / "log", "a") as log:
    log.write(f"{os.getpid()} start {len(data)}\n")
channels = int.from_bytes(data[22:24], "little")
rate = int.from_bytes(data[24:28], "little")
width = int.from_bytes(data[34:36], "little") // 8
time.sleep(max(len(data) - 44, 0) / (rate * channels * width))
with open(folder / "log", "a") as log:
    log.write(f"{os.getpid()} done\n")
