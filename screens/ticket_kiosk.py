"""The ticket kiosk's screens: each shows the flow's present state and sends touches back."""
from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager


class KioskScreen(Screen):
    """Shared chrome (hall name, language switch, large type) comes from the <KioskScreen> rule."""

    def on_pre_enter(self, *_):
        self.refresh()

    def refresh(self) -> None:
        """Re-read what the flow shows; called on entry and when language or type size change."""


class HomeScreen(KioskScreen):
    hours = StringProperty("")
    closed = StringProperty("")  # why no ticket can be taken now, or ""

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.hours = flow.hours_today()
        self.closed = flow.closed_text()


class ServicesScreen(KioskScreen):
    choices = ListProperty()
    notice = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.choices = flow.services()
        self.notice = flow.tr.t("refusal.hall_unavailable") if flow.queues_failed else ""
        grid = self.ids.grid
        buttons = list(reversed(grid.children))
        if [b.choice.code for b in buttons] == [c.code for c in self.choices]:
            for button, choice in zip(buttons, self.choices):
                button.choice = choice
            return
        grid.clear_widgets()
        for choice in self.choices:
            grid.add_widget(Factory.ServiceButton(choice=choice))


class ConfirmScreen(KioskScreen):
    choice = ObjectProperty(None, allownone=True)

    def refresh(self) -> None:
        self.choice = App.get_running_app().flow.chosen()


class IssuingScreen(KioskScreen):
    pass


class TicketScreen(KioskScreen):
    view = ObjectProperty(None, allownone=True)
    printed = BooleanProperty(True)
    print_problem = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.view = flow.ticket_view()
        outcome = flow.visit.printed
        self.printed = bool(outcome and outcome.ok)
        self.print_problem = outcome.problem.value if outcome and outcome.problem else ""


class NoticeScreen(KioskScreen):
    service = StringProperty("")
    text = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.service = flow.notice_service()
        self.text = flow.notice_text()


class Shell(ScreenManager):
    def __init__(self, **kwargs):
        super().__init__(transition=NoTransition(), **kwargs)

    def show(self, name: str) -> None:
        if self.current == name:
            self.current_screen.refresh()
        else:
            self.current = name

    def refresh(self) -> None:
        self.current_screen.refresh()
