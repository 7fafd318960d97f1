"""The hall server over real HTTP on 127.0.0.1, on SQLite and PostgreSQL, as for the API's
tests (tests.support.hall_fixtures); and a hall server in its own process (killed -9 by some
tests) that tells a webhook and a mail server the test starts."""
from __future__ import annotations

import pytest

from tests.conftest import OPEN_MORNING
from tests.hall.matters.receivers import MailReceiver, WebhookReceiver, supervised_hall_file
from tests.support.servers import FileClock, HallServer

from tests.support.hall_fixtures import (add_device, clock, count, db_url, kiosk, live, login,  # noqa: F401 (fixtures)
                                         module_clock, module_database, module_server, module_settings,
                                         server_settings, stored)


@pytest.fixture
def receivers():
    webhook, mail = WebhookReceiver(), MailReceiver()
    yield webhook, mail
    webhook.stop()
    mail.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def supervised_hall(request, tmp_path, receivers) -> HallServer:
    """A hall server in its own process, whose hall tells its webhook and its mail."""
    hall_file = supervised_hall_file(tmp_path / "config", *receivers)
    database = (f"sqlite:///{tmp_path / 'data' / 'hall.db'}" if request.param == "sqlite"
                else request.getfixturevalue("postgres").database("supervised"))
    server = HallServer(data_dir=tmp_path / "data", database=database, hall_file=hall_file,
                        clock=FileClock(tmp_path / "clock", OPEN_MORNING), offline_after=2)
    yield server.start()
    server.kill()
