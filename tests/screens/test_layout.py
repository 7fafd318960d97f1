"""Every screen, in every language and type size, on both common kiosk windows, with and
without a failed printer, a scanned ticket's late rating among them, checked against tests/screens/layout_rules.py from the live
widget tree. The walk is made by a kiosk on a hall server (in its own process), so every
screen also holds the 呼叫工作人员 bar, in each of its states; the embedded kiosk, which has
none, is checked at home. Screenshots of each go to artifacts/screens/ (git-ignored) to be
looked at."""
from __future__ import annotations

import itertools
import shutil
import sqlite3
from datetime import date

import pytest
from sqlalchemy.engine import make_url

from kiosk.card_watch import CardOutcome, Message
from kiosk.help_call import HELP_POLL_SECONDS, HelpState
from kiosk.identity import Identification, mask_id_number, number_hash
from kiosk.printing import TicketPrinterService
from kiosk.remote import CACHE_FILE, RemoteHall
from tests.conftest import ROOT
from tests.devices.idcards import with_check_character
from tests.postgres import free_port
from tests.screens.layout_rules import settle, shoot

ARTIFACTS = ROOT / "artifacts" / "screens"
WINDOWS = [(720, 1280), (1080, 1920)]
LANGUAGES = ["zh_CN", "zh_TW", "en"]
PEOPLE = itertools.count(100)  # a new citizen of 75 for each walk: one ticket a person a day


def elder(flow) -> CardOutcome:
    number = with_check_character(f"11010519510301{next(PEOPLE):03d}")
    return CardOutcome(identity=Identification(mask_id_number(number), number_hash(number, flow.hall.person_salt()),
                                               date(1951, 3, 1)))


@pytest.fixture(scope="module")
def staff(hall_server):
    return hall_server.staff("0301")


@pytest.fixture(scope="module")
def unreachable_hall(hall_server, remote_data, tmp_path_factory):
    """The kiosk's hall server at an address where nothing answers, the hall's definition
    kept from an earlier start as a kiosk keeps it."""
    folder = tmp_path_factory.mktemp("unreachable-kiosk")
    shutil.copy(remote_data / CACHE_FILE, folder / CACHE_FILE)
    hall = RemoteHall(f"http://127.0.0.1:{free_port()}", hall_server.kiosk_token, data_dir=folder)
    yield hall
    hall.close()


def completed(ui, staff) -> str:
    """A household ticket taken at the kiosk, called and completed at counter 3 (the walk's
    earlier household tickets before it); the code printed on it."""
    flow = ui.app.flow
    flow.choose("household")
    ui.until(lambda: ui.app.stage == "confirming")
    flow.confirm()
    ui.until(lambda: ui.app.stage == "ticket")
    ticket, code = flow.errand.ticket, flow.texts.ticket_view().qr_payload
    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    while True:
        called = staff.post("/api/v1/counters/3/call-next")
        assert called.status_code == 200, called.text
        assert staff.post("/api/v1/counters/3/complete").status_code == 200
        if called.json()["id"] == ticket.id:
            return code


def call_for_help(ui, until: HelpState) -> None:
    ui.app.flow.call_for_help()
    ui.until(lambda: ui.app.flow.help.state is until)


PARAMETERS = [  # applied in this order: the test ids read 720x1280-zh_CN-normal
    pytest.mark.parametrize("size", WINDOWS, ids=[f"{w}x{h}" for w, h in WINDOWS]),
    pytest.mark.parametrize("language", LANGUAGES),
    pytest.mark.parametrize("large_type", [False, True], ids=["normal", "large"]),
]


def every_combination(test):
    for mark in PARAMETERS:
        test = mark(test)
    return test


@every_combination
def test_every_screen_keeps_the_layout_rules(on_server, window, hall_server, staff, unreachable_hall,
                                             size, language, large_type):
    ui = on_server
    flow = ui.app.flow
    hall = flow.hall
    while next(s for s in hall.services_status() if s.code == "veterans").refusal is None:
        hall.issue_ticket("veterans")  # a service whose tile and notice explain a refusal
    flow.refresh()  # the home screen's queues, as it asks every minute
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{language}-{'large' if large_type else 'normal'}"
    problems: dict[str, list[str]] = {}

    settle(ui, size, language, large_type)
    ui.until(lambda: flow.queues is not None)
    shoot(ui, folder, f"{tag}-1-home", problems, large_type)
    call_for_help(ui, HelpState.CALLED)
    ui.until(lambda: any(not b.choice.available for b in ui.screen.ids.grid.children))
    shoot(ui, folder, f"{tag}-2-home-called", problems, large_type)
    flow.choose("veterans")
    ui.until(lambda: ui.app.stage == "notice")
    shoot(ui, folder, f"{tag}-3-notice", problems, large_type)
    flow.back()
    flow.choose("real_estate")
    ui.until(lambda: ui.app.stage == "confirming")
    assert staff.post(f"/api/v1/help-calls/{flow.help.call.id}/take").status_code == 200
    ui.monotonic.skipped += HELP_POLL_SECONDS
    flow.tick()
    ui.until(lambda: flow.help.state is HelpState.COMING)
    shoot(ui, folder, f"{tag}-4-confirm", problems, large_type)
    holder = sqlite3.connect(make_url(hall_server.args["database"]).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the ticket waits for the database: the issuing screen shows
    try:
        flow.confirm()
        ui.until(lambda: ui.app.stage == "issuing")
        shoot(ui, folder, f"{tag}-5-issuing", problems, large_type)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ui.until(lambda: ui.app.stage == "ticket")
    shoot(ui, folder, f"{tag}-6-ticket", problems, large_type)

    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    settle(ui, size, language, large_type)
    flow.hall = unreachable_hall
    call_for_help(ui, HelpState.UNAVAILABLE)
    flow.hall = hall
    flow.printer = TicketPrinterService("simprinter://?paper=out")
    flow.choose("household")
    ui.until(lambda: ui.app.stage == "confirming")
    flow.confirm()
    ui.until(lambda: ui.app.stage == "ticket")
    shoot(ui, folder, f"{tag}-7-ticket-not-printed", problems, large_type)

    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    settle(ui, size, language, large_type)
    flow.choose("housing_fund")  # it needs the ID card
    ui.until(lambda: ui.app.stage == "confirming")
    flow.confirm()
    ui.until(lambda: ui.app.stage == "identifying")
    flow.card_placed(CardOutcome(problem=Message("card.lifted")))
    shoot(ui, folder, f"{tag}-9-identify", problems, large_type)
    # The fullest ticket screen: the holder's number, the printer's failure and the call for
    # staff that could not be made, over two lines in English.
    flow.hall = unreachable_hall
    call_for_help(ui, HelpState.UNAVAILABLE)
    flow.hall = hall
    person = elder(flow)
    flow.card_placed(person)
    ui.until(lambda: ui.app.stage == "ticket")
    shoot(ui, folder, f"{tag}-10-ticket-identified", problems, large_type)
    flow.printer = TicketPrinterService("simprinter://")
    flow.code_scanned(flow.texts.ticket_view().qr_payload)  # a new visit: in the walk's language again
    ui.until(lambda: ui.app.stage == "progress")
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-11-progress", problems, large_type)
    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    flow.card_placed(elder(flow))
    ui.until(lambda: flow.errand.held is not None)
    settle(ui, size, language, large_type)
    ui.until(lambda: not flow._loading)  # the queues' new counts reflow the tiles
    ui.frames(3)
    shoot(ui, folder, f"{tag}-12-home-identified", problems, large_type)
    flow.card_placed(person)  # the citizen of the identified ticket: it is shown at once
    ui.until(lambda: ui.app.stage == "progress")
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-13-held-ticket", problems, large_type)
    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    # A completed ticket scanned: its late rating, from the offer to the thanks, and then the
    # line that says it was rated.
    code = completed(ui, staff)
    flow.code_scanned(code)
    ui.until(lambda: flow.rating_offered())
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-14-progress-rateable", problems, large_type)
    flow.rate_service()
    ui.until(lambda: ui.app.stage == "rating")
    shoot(ui, folder, f"{tag}-15-rating", problems, large_type)
    flow.rate(1)
    ui.until(lambda: ui.app.stage == "reasons")
    shoot(ui, folder, f"{tag}-16-reasons", problems, large_type)
    for code_, _name, _chosen in flow.texts.rating_reasons():
        flow.toggle_reason(code_)  # every one chosen: the fullest screen, amber throughout
    shoot(ui, folder, f"{tag}-17-reasons-chosen", problems, large_type)
    flow.send()
    ui.until(lambda: ui.app.stage == "thanks")
    shoot(ui, folder, f"{tag}-18-thanks", problems, large_type)
    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    flow.code_scanned(code)
    ui.until(lambda: ui.app.stage == "progress" and flow.texts.rating_line() != "")
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-19-progress-rated", problems, large_type)
    flow.done()
    ui.until(lambda: ui.app.stage == "idle")
    settle(ui, size, language, large_type)
    ui.clock.now = hall_server.clock.now = ui.clock.now.replace(hour=18)
    flow.refresh()
    ui.until(lambda: flow.closed() is not None)
    call_for_help(ui, HelpState.CALLED)
    shoot(ui, folder, f"{tag}-8-home-closed", problems, large_type)

    assert not problems, "\n".join(f"{shot}:\n  " + "\n  ".join(found) for shot, found in problems.items())


@every_combination
def test_the_embedded_kiosk_has_no_help_bar(ui, window, size, language, large_type):
    """No staff console answers an embedded hall: its screens have no 呼叫工作人员."""
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    settle(ui, size, language, large_type)
    problems: dict[str, list[str]] = {}
    shoot(ui, folder, f"{language}-{'large' if large_type else 'normal'}-0-home-embedded", problems, large_type)
    assert not problems, "\n".join(problems.popitem()[1])
    button = ui.screen.ids.help
    assert button.width == 0 and button.opacity == 0 and button.disabled
    assert button.height <= ui.screen.ids.lang_en.height  # the row is no taller for it


def test_the_layout_is_sized_from_the_window(ui, window):
    """A 1080×1920 kiosk draws the 720×1280 layout at 1.5 times, not the same pixels."""
    measured = {}
    for size in WINDOWS:
        window.size = size
        ui.frames(3)
        tile = ui.screen.ids.grid.children[-1]  # the first service
        measured[size] = (tile.height, tile.ids.name.font_size, ui.screen.ids.lang_en.height,
                          tile.center_y / window.height)
    small, large = measured[WINDOWS[0]], measured[WINDOWS[1]]
    for a, b in zip(small[:3], large[:3]):
        assert b / a == pytest.approx(1.5, rel=0.02)
    assert large[3] == pytest.approx(small[3], abs=0.02)  # the same place on the screen
    window.size = WINDOWS[0]
    ui.frames(3)
