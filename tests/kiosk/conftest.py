"""A hall server in its own process for the remote hall's tests (tests.hall.api.live)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hall import accounts
from hall.queue import QueueEngine
from hall.schemas import DeviceKind
from hall.spec import load_hall
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.hall.api.live import FileClock, ServerProcess


class HallServer(ServerProcess):
    def register(self, device_id: str, kind: DeviceKind = DeviceKind.KIOSK) -> str:
        """A device token, made as `python -m hall add-device` makes it, in the server's database."""
        engine = QueueEngine(load_hall(self.args["hall_file"]), self.args["database"])
        try:
            with engine.transaction() as session:
                return accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=device_id, kind=kind,
                                           now=datetime.now(timezone.utc))
        finally:
            engine.close()


@pytest.fixture
def file_clock(tmp_path) -> FileClock:
    return FileClock(tmp_path / "clock.txt", OPEN_MORNING)


@pytest.fixture
def hall_server(tmp_path, file_clock):
    """A server on its SQLite file, not yet started; stopped at the end."""
    folder = tmp_path / "server"
    server = HallServer(data_dir=folder, database=f"sqlite:///{folder / 'hall.db'}", hall_file=SAMPLE_HALL,
                        clock=file_clock)
    yield server
    server.kill()
