"""The ticket flow's table against its screens: every touch a row takes in a state is a button
on that state's screen, and every button on a screen is a touch its state takes. A row no
screen can fire is a way through the kiosk that no citizen has; a button no row takes is a
tap that does nothing."""
from __future__ import annotations

import re

import pytest

from kiosk.flow import IGNORED, TABLE
from kiosk.ticket_states import Event, State
from kiosk.visit import VisitEvent
from screens.ticket_kiosk import KV_DIR, SCREENS

# What each flow call a .kv file makes (app.act("name", ...)) fires.
TOUCHES = {"choose": Event.CHOOSE, "confirm": Event.CONFIRM, "back": Event.BACK,
           "home": Event.HOME, "done": Event.DONE, "set_language": VisitEvent.LANGUAGE,
           "toggle_large_type": VisitEvent.LARGE_TYPE, "toggle_voice": VisitEvent.VOICE, "call_for_help": Event.HELP,
           "rate_service": Event.RATE_SERVICE, "rate": Event.RATE, "toggle_reason": Event.REASON, "send": Event.SEND,
           "open_guides": Event.GUIDES, "turn_guide": Event.GUIDE_PAGE, "print_checklist": Event.PRINT_CHECKLIST,
           "choose_guide_service": Event.GUIDE_SERVICE, "choose_guide": Event.GUIDE,
           "open_cases": Event.CASES, "choose_case": Event.CASE}
# Screens whose buttons are made from the flow's data (screens.widgets): the rating's faces
# send rate (FaceButton.on_release), its reasons toggle_reason (rating_widgets.kv); the guides'
# tiles choose a service or a matter, and the cases' a case (TileButton, tiles.kv).
MADE = {"late_rating": {Event.RATE}, "late_reasons": {Event.REASON}, "guides": {Event.GUIDE_SERVICE, Event.GUIDE},
        "cases": {Event.CASE}}


def buttons(kv: str) -> set[Event]:
    """The touches a .kv file's buttons send."""
    calls = re.findall(r'app\.act\("(\w+)"', (KV_DIR / f"{kv}.kv").read_text(encoding="utf-8"))
    return {TOUCHES[call] for call in calls}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
def test_the_touches_a_state_takes_are_the_buttons_of_its_screen(state):
    _screen, kv = SCREENS[state.value]
    sent = buttons(kv) | buttons("base") | MADE.get(kv, set())  # base.kv: the chrome on every screen
    taken = {row.event for row in TABLE if row.event in TOUCHES.values() and row.starts_from(state)}
    assert taken - sent == set(), f"rows of {state.name} that no button on its screen fires"
    assert sent - taken - IGNORED == set(), f"buttons on the screen of {state.name} that no row takes"
