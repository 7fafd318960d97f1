"""A parent server over real HTTP on 127.0.0.1 (SQLite and PostgreSQL, one per module), and
its child halls registered as python -m hall add-hall registers them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hall.uplink import receiver
from tests.support.api_clients import Api
from tests.support.hall_fixtures import (clock, count, db_url, live, module_clock, module_database,  # noqa: F401
                                         module_server, module_settings, server_settings, stored)


@pytest.fixture
def add_child(live):
    """Registers a child hall on the parent and returns a client with its uplink token."""
    def add(hall_id: str, region: str = "511525", name: str = "城关镇便民服务中心") -> Api:
        with live.hall.engine.transaction() as session:
            token = receiver.add_hall(session, hall_id=hall_id, name=name, region=region,
                                      now=datetime.now(timezone.utc))
        return Api(live.url, token)
    return add
