"""Time to the first byte of a call's audio (GET /api/v1/display/calls/ID/audio) from a hall
server on 127.0.0.1: calls not heard before (espeak-ng runs, the WAV is kept) beside the same
calls fetched again (read from the kept files), interleaved in one run.

    .venv/bin/python bench/call_audio.py [CALLS]
"""
from __future__ import annotations

import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def first_byte(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - started
    assert response.status == 200, response.status
    response.read()
    connection.close()
    return elapsed


def main(calls: int = 20) -> None:
    from hall.settings import ServerSettings
    from tests.conftest import SAMPLE_HALL, Clock
    from tests.support.servers import LiveServer

    with tempfile.TemporaryDirectory() as tmp:
        settings = ServerSettings(data_dir=Path(tmp), database=f"sqlite:///{tmp}/hall.db", hall_file=SAMPLE_HALL)
        server = LiveServer(settings, Clock())
        engine = server.hall.engine
        port = int(server.url.rsplit(":", 1)[1])
        paths = []
        for _ in range(calls + 1):
            engine.issue_ticket("household")
            engine.call_next("3")
            engine.complete("3")
        with server.hall.engine.reading() as session:
            from sqlalchemy import select

            from hall.models import LoggedEvent
            ids = session.scalars(select(LoggedEvent.id).where(LoggedEvent.kind == "called")
                                  .order_by(LoggedEvent.id)).all()
        paths = [f"/api/v1/display/calls/{i}/audio" for i in ids]
        first_byte(port, paths[0])   # warm-up: the process's first synthesis and file
        fresh, kept = [], []
        for path in paths[1:]:
            fresh.append(first_byte(port, path))
            kept.append(first_byte(port, path))
        server.stop()
    print(f"time to first audio byte of a call, {calls} calls, hall server on 127.0.0.1")
    for name, times in (("not heard before (espeak-ng)", fresh), ("kept", kept)):
        print(f"  {name:30} median {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")
    print(f"  ratio not heard / kept: {statistics.median(fresh) / statistics.median(kept):.0f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
