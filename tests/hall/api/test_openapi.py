"""The OpenAPI document is served and complete: every operation summarised, its answers and
errors typed, its credentials declared."""
from __future__ import annotations

import requests


def test_the_openapi_document_describes_every_operation(live):
    spec = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) == 54 and all(path.startswith("/api/v1/") for path, _, _ in operations)
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
        public = (path.startswith(("/api/v1/tickets/by-link", "/api/v1/display", "/api/v1/ratings/by-link",
                                   "/api/v1/callbacks/by-link"))
                  or (path == "/api/v1/session" and method == "post"))
        assert bool(op.get("security")) != public, (method, path)
    for name in ("TicketPublic", "IssueRequest", "CheckInRequest", "PersonSaltPublic", "ServiceStatusPublic", "CounterStatePublic", "HallSpec",
                 "DeviceReport", "Problem", "LoginRequest", "StaffSessionPublic", "RatingRequest", "RatingReceipt",
                 "RatingStatusPublic", "RatingPublic", "FigurePublic", "LevelsPublic", "DurationsPublic", "CasePublic", "CaseStepRequest", "CallRecord"):
        assert name in spec["components"]["schemas"], name
    stream = spec["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert stream["schema"]["title"] == "EventPublic"
    issue = spec["paths"]["/api/v1/tickets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in issue["parameters"])
