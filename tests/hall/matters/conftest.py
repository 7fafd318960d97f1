"""The hall server over real HTTP on 127.0.0.1, on SQLite and PostgreSQL, as for the API's
tests (tests.support.hall_fixtures)."""
from __future__ import annotations

from tests.support.hall_fixtures import (add_device, clock, count, db_url, kiosk, live, login,  # noqa: F401 (fixtures)
                                         module_clock, module_database, module_server, module_settings,
                                         server_settings, stored)
