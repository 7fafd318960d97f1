"""The OpenAPI document is served and complete: every operation summarised, its answers and
errors typed, its credentials declared."""
from __future__ import annotations

import re

import jsonschema_rs
import requests

from tests.hall.api.sse import messages

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_openapi_document_describes_every_operation(live):
    spec = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) == 73 and all(path.startswith("/api/v1/") for path, _, _ in operations)
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, (method, path)
        for code in ok:
            if code != "204":
                assert op["responses"][code].get("content"), (method, path, code)
        for code in ("401", "403", "422"):
            assert op["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}, (method, path, code)
        public = (path.startswith(("/api/v1/tickets/by-link", "/api/v1/ratings/by-link", "/api/v1/callbacks/by-link"))
                  or (path.startswith("/api/v1/display") and method == "get")
                  or (path == "/api/v1/session" and method == "post"))
        assert bool(op.get("security")) != public, (method, path)
    for name in ("TicketPublic", "IssueRequest", "CheckInRequest", "PersonSaltPublic", "PersonTicketsPublic", "ServiceStatusPublic", "CounterStatePublic", "HallSpec",
                 "DeviceReport", "Problem", "LoginRequest", "StaffSessionPublic", "RatingRequest", "RatingReceipt",
                 "RatingStatusPublic", "RatingPublic", "FigurePublic", "LevelsPublic", "DurationsPublic", "CasePublic", "CaseStepRequest", "CallRecord",
                 "CounterTerminalPublic", "StaffCardPublic", "PromptPublic",
                 "CompletedAndCalledPublic", "NoticeRequest", "NoticePublic"):
        assert name in spec["components"]["schemas"], name
    stream = spec["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert [s["title"] for s in stream["schema"]["anyOf"]] == ["EventPublic", "StreamReady", "StreamTick"]
    issue = spec["paths"]["/api/v1/tickets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in issue["parameters"])


def test_every_message_of_the_streams_fits_the_documented_schema(live, kiosk):
    """Before: the `ready` message that opens both streams fitted no documented schema."""
    spec = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    for path, caller in (("/api/v1/events", kiosk.http), ("/api/v1/display/events", requests.Session())):
        documented = spec["paths"][path]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
        fits = jsonschema_rs.validator_for(documented)
        stream = caller.get(f"{live.url}{path}", stream=True, timeout=10)
        received = messages(stream.iter_lines(decode_unicode=True))
        ready = next(received)
        assert ready.event == "ready" and fits.is_valid(ready.json()), ready
        kiosk.post("/api/v1/tickets", {"service": "household"})
        while (message := next(received)).event != "issued":
            assert fits.is_valid(message.json()), message  # the display's ticks on the way
        assert fits.is_valid(message.json()), message
        stream.close()


def test_a_405_names_every_method_the_path_takes(live):
    """Before: Allow named only the methods of the first route matching the path (GET /session
    answered a PUT with `Allow: GET, HEAD`, leaving out POST and DELETE)."""
    spec = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    # A concrete path may fit several documented ones (/tickets/of-person and /tickets/{ticket_id}):
    # it takes the methods of each it fits.
    forms = {path: re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(path)) + "$") for path in spec["paths"]}
    for path in spec["paths"]:
        concrete = path.replace("{counter_id}", "1").replace("{call_id}", "1").replace("{event_id}", "1")
        documented = {method.upper() for other, form in forms.items() if form.match(concrete)
                      for method in spec["paths"][other]}
        url = live.url + concrete
        for method in sorted(METHODS - documented):
            answer = requests.request(method, url, timeout=10)
            assert answer.status_code == 405 and answer.json()["error"] == "method_not_allowed", (method, path)
            allowed = set(answer.headers["Allow"].split(", "))
            assert allowed - {"HEAD"} == documented, (method, path, answer.headers["Allow"])


def test_the_documented_form_of_a_booking_code_is_the_one_the_hall_reads(live, kiosk):
    """Before: `code` was declared as any string, and "0" was refused (422) as malformed."""
    from datetime import date, time

    from hall.booking_codes import make_booking_code

    spec = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    fits = jsonschema_rs.validator_for(spec["components"]["schemas"]["CheckInRequest"])
    forged = make_booking_code(b"not the hall's key", hall_id="chengguan", booking_id="B1", service="household",
                               day=date(2026, 11, 25), window_start=time(9), window_end=time(9, 30))
    for fitting in (forged, forged.lower(), f"  {forged}\n"):
        assert fits.is_valid({"code": fitting}), fitting
        answer = kiosk.post("/api/v1/bookings/check-ins", {"code": fitting})
        assert answer.status_code == 409 and answer.json()["reason"] == "booking_forged", answer.text
    for unfitting in ("0", "HKB1.", forged[:-1], forged.replace(".", "-")):
        assert not fits.is_valid({"code": unfitting}), unfitting
        assert kiosk.post("/api/v1/bookings/check-ins", {"code": unfitting}).status_code == 422
