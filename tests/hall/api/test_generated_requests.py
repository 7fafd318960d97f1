"""Requests made from the OpenAPI document itself (schemathesis): for every operation, inputs
that fit it and inputs that do not, sent over HTTP on SQLite and PostgreSQL by a caller the
operation admits. Whatever they hold, the answer is never a server error, and it is what the
document says: a status it lists, with the media type, headers and body schema it gives for
that status (schemathesis' response conformance checks). Bounded to a few examples per
operation (about 15 s a database), a smoke test of the whole surface; the hand-written tests
beside it say what each answer must be."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

from hall.schemas import DeviceKind, Role
from hall.uplink import receiver

EXAMPLES = 15
CONFORMANCE = [status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
# Streams never end, and logging out would end the admin's session for the operations after.
LEFT_OUT = {("GET", "/api/v1/events"), ("GET", "/api/v1/display/events"), ("DELETE", "/api/v1/session")}
# What a kiosk may not call (docs/api.md); everything else is sent with the kiosk's token.
STAFF_ONLY = {("GET", "/api/v1/counters/{counter_id}/queue"), ("GET", "/api/v1/help-calls"),
              ("POST", "/api/v1/help-calls/{call_id}/take"), ("GET", "/api/v1/devices"),
              ("GET", "/api/v1/devices/status"), ("GET", "/api/v1/device-health"), ("GET", "/api/v1/session"),
              ("GET", "/api/v1/ratings"), ("GET", "/api/v1/ratings/figures"), ("GET", "/api/v1/ratings/levels"),
              ("GET", "/api/v1/ratings/durations"), ("GET", "/api/v1/ratings/export"), ("GET", "/api/v1/cases"),
              ("GET", "/api/v1/cases/{case_id}"), ("POST", "/api/v1/cases/{case_id}/steps"),
              ("GET", "/api/v1/callbacks"), ("POST", "/api/v1/callbacks/{ticket_id}"),
              ("PUT", "/api/v1/display/notice"), ("GET", "/api/v1/hall-board"), ("GET", "/api/v1/matters"),
              ("POST", "/api/v1/matters"), ("GET", "/api/v1/matters/{case_id}"),
              ("POST", "/api/v1/matters/{case_id}/steps")}
# What only a counter terminal may call; sent with the token of one bound to counter 3.
COUNTER_ONLY = {("POST", "/api/v1/callbacks/phone"), ("GET", "/api/v1/counter-terminal"),
                ("GET", "/api/v1/counter-terminal/photo"), ("GET", "/api/v1/counters/{counter_id}/printer/receipts/{job}"),
                ("POST", "/api/v1/counters/{counter_id}/printer/receipts/{job}/outcome")}

# What only a child hall reporting up may call; sent with its uplink token.
UPLINK_ONLY = {("POST", "/api/v1/uplink/events"), ("PUT", "/api/v1/uplink/definition")}


def staff_only(method: str, path: str) -> bool:
    return (method, path) in STAFF_ONLY or (method == "POST" and path.startswith("/api/v1/counters/{counter_id}/"))


def refused_at_the_door(answer: requests.Response) -> bool:
    """Refused for who is asking, not for what was asked."""
    return answer.status_code in (401, 403) and answer.json().get("error") in ("unauthorized", "forbidden", "csrf")


@pytest.fixture
def operations(live):
    document = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    found = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    chosen = [op for op in found if (op.method.upper(), op.path) not in LEFT_OUT]
    assert len(chosen) == len(found) - len(LEFT_OUT)  # every left-out operation still exists
    return chosen


def test_every_generated_request_gets_a_documented_answer_and_no_server_error(live, kiosk, add_device, login, operations):
    admin = login("9001", role=Role.ADMIN, counters=())
    terminal = add_device("counter-03", DeviceKind.COUNTER, counters=("3",))
    as_kiosk = {"headers": {"Authorization": kiosk.http.headers["Authorization"]}}
    as_terminal = {"headers": {"Authorization": terminal.http.headers["Authorization"]}}
    with live.hall.engine.transaction() as session:
        uplink_token = receiver.add_hall(session, hall_id="town-01", name="城关镇", region="511525001",
                                         now=datetime.now(timezone.utc))
    as_child_hall = {"headers": {"Authorization": f"Bearer {uplink_token}"}}
    as_admin = {"headers": {"X-CSRF-Token": admin.http.headers["X-CSRF-Token"]},
                "cookies": {"hall_session": admin.http.cookies["hall_session"]}}
    errors: list[str] = []
    admitted: set[str] = set()   # operations that let at least one fitting request past the door
    bounded = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck))
    for operation in operations:
        caller = as_admin if staff_only(operation.method.upper(), operation.path) else as_kiosk
        if (operation.method.upper(), operation.path) in COUNTER_ONLY:
            caller = as_terminal
        if (operation.method.upper(), operation.path) in UPLINK_ONLY:
            caller = as_child_hall
        for mode in GenerationMode:
            @bounded
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case) -> None:
                answer = case.call(base_url=live.url, session=requests.Session(), timeout=10, **caller)
                if answer.status_code >= 500:
                    errors.append(f"{answer.status_code} {case.method} {case.formatted_path} {case.query} "
                                  f"{case.headers} {case.body!r}: {answer.text[:200]}")
                try:
                    case.validate_response(answer, checks=CONFORMANCE)
                except BaseExceptionGroup as failed:  # schemathesis' FailureGroup: one per check failed
                    errors.extend(f"{case.method} {case.formatted_path} {case.body!r} -> {answer.status_code}: "
                                  f"{failure.title}: {failure.message[:300]}" for failure in failed.exceptions)
                if mode is GenerationMode.POSITIVE and not refused_at_the_door(answer):
                    admitted.add(operation.label)
            try:
                send()
            except Unsatisfiable:  # nothing in this operation can be got wrong
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert errors == []
    assert admitted == {op.label for op in operations}  # each was sent by a caller it admits
