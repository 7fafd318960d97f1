"""Clients of the hall server's API as terminals and staff are: a device with its token, a
staff member's browser logged in through the API, from any loopback address."""
from __future__ import annotations

from datetime import datetime, timezone

import requests
from requests.adapters import HTTPAdapter

from hall import accounts
from hall.schemas import Role

PASSWORD = "correct horse 9"


class FromAddress(HTTPAdapter):
    """Connections that leave from one loopback address (any of 127.0.0.0/8), so that the
    server sees a network source of its own, as it would see another PC of the hall."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


class Api:
    """A client of the server: a terminal with its token, or a staff member's browser;
    `source` is the loopback address it connects from (127.0.0.1 if not given)."""

    def __init__(self, base: str, token: str | None = None, *, source: str | None = None):
        self.base = base
        self.http = requests.Session()
        if source:
            self.http.mount("http://", FromAddress(source))
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=10, **kwargs)

    def post(self, path: str, json=None, *, key: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(self.base + path, json=json, headers=headers, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.http.delete(self.base + path, timeout=10, **kwargs)


def add_staff(engine, job_no: str, role: Role = Role.STAFF, counters=("1",)) -> None:
    """A staff account, made as `python -m hall add-staff` makes it, in the engine's database."""
    with engine.transaction() as session:
        accounts.add_staff(session, hall_id=engine.spec.hall.id, spec=engine.spec, job_no=job_no,
                           name=f"员工{job_no}", role=role, counters=list(counters), password=PASSWORD,
                           now=datetime.now(timezone.utc), replace=True)


def staff_session(url: str, job_no: str, counter: str | None = None) -> Api:
    """A new browser logged in through the API as that staff member."""
    browser = Api(url)
    answer = browser.post("/api/v1/session", {"job_no": job_no, "password": PASSWORD, "counter": counter})
    assert answer.status_code == 200, answer.text
    browser.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return browser
