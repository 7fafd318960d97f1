"""The counter terminal's card over HTTP, on SQLite and PostgreSQL: the staff member signed
in at its counter with their post, department and photo (sent, never to be stored), the
number being served, the rating prompt open there, and only for a terminal bound to that
counter."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from hall import accounts
from hall.schemas import DeviceKind, Role
from tests.support.api_clients import PASSWORD, Api, staff_session
from tests.hall.api.sse import Listener

CARD = "/api/v1/counter-terminal"


def photo_bytes(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (30, 90, 160)).save(out, kind)
    return out.getvalue()


def add_staff(live, job_no: str, counters: tuple[str, ...], *, photo: bytes | None = None, **card) -> None:
    with live.hall.engine.transaction() as session:
        accounts.add_staff(session, hall_id=live.hall.hall_id, spec=live.hall.spec, job_no=job_no, name="李晓梅",
                           role=Role.STAFF, counters=list(counters), password=PASSWORD,
                           now=datetime.now(timezone.utc), replace=True, photo=photo, **card)


@pytest.fixture
def terminal(add_device) -> Api:
    return add_device("counter-03", DeviceKind.COUNTER, counters=("3",))


def test_the_card_follows_who_signs_in_and_what_the_counter_does(live, terminal, kiosk):
    empty = terminal.get(CARD)
    assert empty.status_code == 200, empty.text
    card = empty.json()
    assert (card["counter"], card["paused"], card["serving"], card["staff"], card["prompt"]) == ("3", False, None,
                                                                                                None, None)
    assert card["window_seconds"] == live.hall.spec.ratings.window_seconds
    assert [r["code"] for r in card["reasons"]] == [r.code for r in live.hall.spec.ratings.reasons]
    assert card["reasons"][0]["name"]["zh_CN"] == "办事效率低、等候时间长"

    picture = photo_bytes()
    add_staff(live, "0301", ("3",), photo=picture, post="综合受理岗", department="县人社局")
    desk = staff_session(live.url, "0301", "3")
    card = terminal.get(CARD).json()
    assert card["staff"] == {"job_no": "0301", "name": "李晓梅", "post": "综合受理岗", "department": "县人社局",
                             "photo": "/api/v1/counter-terminal/photo"}
    shown = terminal.get(CARD + "/photo")
    assert shown.status_code == 200 and shown.content == picture
    assert shown.headers["content-type"] == "image/png" and shown.headers["cache-control"] == "no-store"

    issued = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    assert desk.post("/api/v1/counters/3/call-next").json()["id"] == issued["id"]
    card = terminal.get(CARD).json()
    assert (card["serving"], card["prompt"]) == (issued["number"], None)
    assert desk.post("/api/v1/counters/3/complete").status_code == 200
    card = terminal.get(CARD).json()
    assert card["serving"] is None
    assert (card["prompt"]["ticket_id"], card["prompt"]["number"]) == (issued["id"], issued["number"])
    assert card["prompt"]["callback_offered"] is False
    # The live events after the card's last id begin with what happens next.
    after = card["last_event_id"]
    assert terminal.post("/api/v1/ratings", {"ticket_id": issued["id"], "level": 5}).status_code == 201
    assert terminal.get(CARD).json()["prompt"] is None
    assert terminal.get(CARD).json()["last_event_id"] == after + 1

    desk.delete("/api/v1/session")
    assert terminal.get(CARD).json()["staff"] is None
    assert terminal.get(CARD + "/photo").json()["error"] == "no_photo"


def test_a_staff_member_without_a_photo_and_another_counters_staff(live, terminal):
    add_staff(live, "0101", ("1",), photo=photo_bytes("JPEG"))
    staff_session(live.url, "0101", "1")
    assert terminal.get(CARD).json()["staff"] is None  # signed in at counter 1, not this one
    add_staff(live, "0302", ("3",))
    staff_session(live.url, "0302", "3")
    card = terminal.get(CARD).json()
    assert (card["staff"]["job_no"], card["staff"]["photo"], card["staff"]["post"]) == ("0302", None, "")
    missing = terminal.get(CARD + "/photo")
    assert missing.status_code == 404 and missing.json()["error"] == "no_photo"


def test_only_a_counter_terminal_bound_to_a_counter_is_answered(live, kiosk, add_device):
    for path in (CARD, CARD + "/photo"):
        assert kiosk.get(path).status_code == 403
        assert Api(live.url).get(path).status_code == 401
        unbound = add_device(f"counter-x{len(path)}", DeviceKind.COUNTER)
        answer = unbound.get(path)
        assert answer.status_code == 409 and answer.json()["error"] == "unbound", answer.text


@pytest.mark.parametrize("photo, problem", [(b"GIF89a" + b"\0" * 100, "neither a JPEG nor a PNG"),
                                            (b"\x89PNG\r\n\x1a\n" + b"\0" * accounts.PHOTO_BYTES, "at most")])
def test_a_photo_that_is_no_small_jpeg_or_png_is_refused(live, photo, problem):
    with pytest.raises(accounts.AccountError, match=problem):
        add_staff(live, "0303", ("3",), photo=photo)


def test_signing_in_and_out_at_the_counter_is_a_live_event_naming_the_counter_alone(live, terminal):
    add_staff(live, "0301", ("3", "4"), post="综合受理岗", department="县人社局")
    stream = Listener(terminal)
    try:
        assert stream.next().event == "ready"
        desk = staff_session(live.url, "0301", "3")
        signed_in = stream.next()
        assert (signed_in.event, signed_in.json()["counter"], signed_in.json()["payload"]) == (
            "counter_staff", "3", {"counter": "3", "signed_in": True})
        assert "李晓梅" not in signed_in.data and "0301" not in signed_in.data
        assert terminal.get(CARD).json()["staff"]["job_no"] == "0301"
        assert desk.delete("/api/v1/session").status_code == 204
        signed_out = stream.next()
        assert (signed_out.event, signed_out.json()["payload"]) == ("counter_staff", {"counter": "3",
                                                                                      "signed_in": False})
        assert terminal.get(CARD).json()["staff"] is None
        elsewhere = staff_session(live.url, "0301")  # signed in at no counter: nothing to tell
        assert elsewhere.post("/api/v1/counters/4/pause").status_code == 200
        assert stream.next().event == "counter_paused"
    finally:
        stream.close()
