"""The hall server over real HTTP on 127.0.0.1, on SQLite and PostgreSQL, one server per
module and database (tests.support.hall_fixtures), with accounts made as an installer makes
them and staff logged in through the API."""
from __future__ import annotations

import pytest

from tests.support.api_clients import PASSWORD, Api, add_staff  # noqa: F401 (the tests import them from here)
from tests.support.hall_fixtures import (add_device, clock, count, db_url, kiosk, live, login,  # noqa: F401 (fixtures)
                                         module_clock, module_database, module_server, module_settings,
                                         server_settings, stored)


@pytest.fixture
def serve(kiosk, login):
    """Serves a new ticket of `service` at `counter` to its end, as a kiosk and a staff console
    do: issued, called, completed; returns the completed ticket with its link's token."""
    desks: dict[str, Api] = {}

    def served(service: str = "household", counter: str = "3", job_no: str = "0301") -> dict:
        if counter not in desks:
            desks[counter] = login(job_no, counters=(counter,), counter=counter)
        desk = desks[counter]
        issued = kiosk.post("/api/v1/tickets", {"service": service})
        assert issued.status_code == 201, issued.text
        called = desk.post(f"/api/v1/counters/{counter}/call-next")
        assert called.status_code == 200 and called.json()["id"] == issued.json()["id"], called.text
        done = desk.post(f"/api/v1/counters/{counter}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed", done.text
        return {**done.json(), "token": issued.json()["link"].rsplit("/t/", 1)[1]}
    served.desks = desks
    return served
