"""Call-backs (回访): a share of the transactions chosen as they complete; a number left by the
citizen kept until the call is made (or the transaction is rated otherwise) and then removed;
the answer taken as the transaction's one rating, with channel callback."""
from __future__ import annotations

import pytest

from hall.schemas import DeviceKind, Role
from hall.settings import ServerSettings
from tests.hall.api.conftest import Api
from tests.support.hall_fixtures import phoning_back

CALLBACKS = "/api/v1/callbacks"


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database) -> ServerSettings:
    """The sample hall phoning back half its citizens."""
    return phoning_back(tmp_path_factory.mktemp("server"), module_database, 50)


@pytest.fixture
def phones(stored):
    """The numbers kept, read behind the server's back."""
    return lambda: dict(stored("select ticket_id, phone from served_tickets"))


def test_a_number_is_kept_until_the_call_and_the_answer_is_the_rating(serve, add_device, login, phones, count):
    terminal = add_device("counter-03", DeviceKind.COUNTER, counters=("3",))
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    tickets = [serve() for _ in range(4)]
    offered = [terminal.get(f"/api/v1/ratings/state/{t['id']}").json()["callback_offered"] for t in tickets]
    assert offered == [False, True, False, True]
    first, chosen, _, by_phone = tickets

    refused = terminal.post(f"{CALLBACKS}/phone", {"ticket_id": first["id"], "phone": "13800000001"})
    assert refused.status_code == 409 and refused.json()["reason"] == "no_callback"
    assert terminal.post(f"{CALLBACKS}/phone", {"ticket_id": chosen["id"], "phone": "12345"}).status_code == 422
    left = terminal.post(f"{CALLBACKS}/phone", {"ticket_id": chosen["id"], "phone": " 138-0000-0002 "})
    assert left.status_code == 422  # dashes inside a mobile number: not a form the hall dials
    left = terminal.post(f"{CALLBACKS}/phone", {"ticket_id": chosen["id"], "phone": " 13800000002 "})
    assert left.status_code == 200 and left.json()["callback_offered"] is True
    page = Api(terminal.base)
    assert page.post(f"{CALLBACKS}/by-link/{by_phone['token']}/phone", {"phone": "0571-87654321"}).status_code == 200
    assert phones() == {tickets[0]["id"]: None, chosen["id"]: "13800000002", tickets[2]["id"]: None,
                        by_phone["id"]: "0571-87654321"}
    assert [(c["number"], c["phone"]) for c in supervisor.get(CALLBACKS).json()] == [
        ("C002", "13800000002"), ("C004", "0571-87654321")]

    # The citizen rates on the phone page: the number has no purpose left.
    assert page.post(f"/api/v1/ratings/by-link/{by_phone['token']}", {"level": 4}).status_code == 201
    assert phones()[by_phone["id"]] is None

    answered = supervisor.post(f"{CALLBACKS}/{chosen['id']}", {"outcome": "answered", "level": 2,
                                                               "reasons": ["unclear"], "comment": "材料说了两次"})
    assert answered.status_code == 200 and answered.json() == {"ticket_id": chosen["id"], "outcome": "answered",
                                                               "rated": True}
    assert phones()[chosen["id"]] is None and supervisor.get(CALLBACKS).json() == []
    rating = next(r for r in supervisor.get("/api/v1/ratings").json() if r["ticket_id"] == chosen["id"])
    assert (rating["channel"], rating["level"], rating["staff_job_no"]) == ("callback", 2, "0301")
    assert count("rating_cases") == 1  # a bad answer is followed up like any bad rating
    again = supervisor.post(f"{CALLBACKS}/{chosen['id']}", {"outcome": "no_answer"})
    assert again.status_code == 409 and again.json()["reason"] == "no_callback"
    assert count("ratings") == 2


def test_a_call_unanswered_removes_the_number_and_rates_nothing(serve, login, phones, count):
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    serve()
    chosen = serve()
    page = Api(supervisor.base)
    assert page.post(f"{CALLBACKS}/by-link/{chosen['token']}/phone", {"phone": "+86 13900000003"}).status_code == 200
    for body in ({"outcome": "no_answer", "level": 3}, {"outcome": "answered"}, {"outcome": "hung_up"}):
        assert supervisor.post(f"{CALLBACKS}/{chosen['id']}", body).status_code == 422, body
    assert supervisor.post(f"{CALLBACKS}/{chosen['id']}", {"outcome": "no_answer"}).json()["rated"] is False
    assert phones()[chosen["id"]] is None and count("ratings") == 0
    assert page.get(f"/api/v1/ratings/by-link/{chosen['token']}").json()["callback_offered"] is False
