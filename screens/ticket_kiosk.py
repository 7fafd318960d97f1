"""The ticket kiosk's screens: each shows the flow's present state and sends touches back."""
from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk.ticket_states import State
from screens.widgets import Body


class KioskScreen(Screen):
    """Shared chrome (hall name, language switch, large type) comes from the <KioskScreen> rule.

    A screen takes no touch that began before it appeared or in the moment after: nobody
    reacts to a new screen that fast, so such a touch was meant for the screen before (the
    second tap of a double tap on a service lands on the confirm screen otherwise). The moment
    is measured on the monotonic clock, not by the wall-clock time Kivy stamps on a touch:
    NTP may set a kiosk's clock back by hours after it started (a hardware clock kept in
    local time is read as UTC), and the screen then on show would take no touch for as long.
    """

    settle = 0.35  # seconds
    shown_at = 0.0  # on `clock`

    @staticmethod
    def clock() -> float:
        """The app's monotonic clock (KioskApp's `monotonic`)."""
        return App.get_running_app().monotonic()

    def on_kv_post(self, base_widget) -> None:
        body = next((c for c in self.children if isinstance(c, Body)), None)
        if body is not None:
            self.remove_widget(body)
            self.ids.slot.add_widget(body)

    def on_pre_enter(self, *_):
        self.shown_at = self.clock()
        self.refresh()

    def on_touch_down(self, touch):
        if self.clock() < self.shown_at + self.settle:
            return True
        touch.ud["shown"] = (self, self.shown_at)  # its moves and its lift belong to this showing
        return super().on_touch_down(touch)

    def _began_here(self, touch) -> bool:
        return touch.ud.get("shown") == (self, self.shown_at)

    def on_touch_move(self, touch):
        return super().on_touch_move(touch) if self._began_here(touch) else True

    def on_touch_up(self, touch):
        return super().on_touch_up(touch) if self._began_here(touch) else True

    def refresh(self) -> None:
        """Re-read what the flow shows; called on entry and when language or type size change."""


class PagedScreen(KioskScreen):
    """A screen of tiles a page at a time, with large page buttons: each showing starts at the
    first page."""

    page = NumericProperty(0)
    pages = NumericProperty(1)

    def on_pre_enter(self, *_):
        self.page = 0
        super().on_pre_enter()

    def turn(self, step: int) -> None:
        App.get_running_app().flow.touched()
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self.refresh()

    def paged(self, items: list, per_page: int) -> list:
        """The items of the page shown, the page held to those there are."""
        self.pages = max(1, -(-len(items) // per_page))
        self.page = min(self.page, self.pages - 1)
        return items[self.page * per_page:(self.page + 1) * per_page]


class HomeScreen(PagedScreen):
    """The services, under a welcome and the invitation to place an ID card: a tap on a
    service is the first of the two a ticket takes. Every service is on one page of two
    columns in both type sizes: nothing hides below the fold. A hall with more services than
    a page holds gets large page buttons. While the hours give no tickets, the screen says so
    instead."""

    per_page = 8
    rows = NumericProperty(4)
    hours = StringProperty("")
    closed = StringProperty("")  # why no ticket can be taken now, or ""
    card = StringProperty("")    # the invitation to place an ID card
    choices = ListProperty()
    notice = StringProperty("")
    identified = StringProperty("")  # the masked number of the card read for this visit

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.hours = flow.texts.hours_today()
        self.closed = flow.texts.closed_text()
        self.card = flow.texts.card_prompt()
        self.choices = flow.texts.services()
        self.notice = flow.texts.tr.t("refusal.hall_unavailable") if flow.queues_failed else ""
        self.identified = flow.texts.identified_text()
        shown = self.paged(self.choices, self.per_page)
        grid = self.ids.grid
        buttons = list(reversed(grid.children))
        if [getattr(b.choice, "code", None) for b in buttons] == [c.code for c in shown]:
            for button, choice in zip(buttons, shown):
                button.choice = choice
            return
        grid.clear_widgets()
        for choice in shown:
            grid.add_widget(Factory.ServiceButton(choice=choice))
        for _ in range(self.per_page - len(shown)):  # keeps every page's tiles the same size
            grid.add_widget(Factory.ServiceButton(opacity=0, disabled=True))


class IdentifyScreen(KioskScreen):
    """Asks for the ID card (or a booking code) for a service that needs it, and says what
    was wrong with the last card or with the reader."""

    service = StringProperty("")
    message = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        choice = flow.texts.chosen()
        self.service = choice.name if choice else ""
        self.message = flow.texts.identify_text()


class ProgressScreen(KioskScreen):
    """A ticket's place in the queue: a scanned ticket's, or the open ticket of a citizen
    whose card was read, with the way to another service where the hall allows one. A
    scanned ticket's completed transaction offers its late rating, or says why it cannot."""

    view = ObjectProperty(None, allownone=True)
    rows = ListProperty([("", "")] * 3)
    title = StringProperty("")
    another = BooleanProperty(False)
    rating_line = StringProperty("")
    rateable = BooleanProperty(False)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.view = flow.texts.progress_view()
        self.title = flow.texts.progress_title()
        self.another = flow.another_allowed()
        self.rating_line = flow.texts.rating_line()
        self.rateable = flow.rating_offered()
        rows = list(self.view.rows) if self.view else []
        self.rows = (rows + [("", "")] * 3)[:3]

    def on_leave(self, *_):
        self.refresh()  # a citizen's ticket does not stay behind on a screen out of sight


class ConfirmScreen(KioskScreen):
    """The second of the two taps a ticket takes. A slow double tap on a service brings its
    second touch here up to 0.8 s after the first, wherever the finger was: 确认取号 may lie
    under it, so this screen settles for longer than the others."""

    settle = 1.0  # seconds
    choice = ObjectProperty(None, allownone=True)

    def refresh(self) -> None:
        self.choice = App.get_running_app().flow.texts.chosen()


class IssuingScreen(KioskScreen):
    text = StringProperty("")

    def refresh(self) -> None:
        self.text = App.get_running_app().flow.texts.busy_text()


class TicketScreen(KioskScreen):
    view = ObjectProperty(None, allownone=True)
    printed = BooleanProperty(True)
    print_problem = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.view = flow.texts.ticket_view()
        outcome = flow.errand.printed
        self.printed = bool(outcome and outcome.ok)
        self.print_problem = outcome.problem.value if outcome and outcome.problem else ""

    def on_leave(self, *_):
        self.refresh()  # nor does the masked number of the last citizen


class NoticeScreen(KioskScreen):
    service = StringProperty("")
    text = StringProperty("")

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.service = flow.texts.notice_service()
        self.text = flow.texts.notice_text()


class LateRatingScreen(KioskScreen):
    """A scanned ticket's late rating: its number and five large faces."""

    title = StringProperty("")
    problem = StringProperty("")

    def refresh(self) -> None:
        texts = App.get_running_app().flow.texts
        self.title = texts.rating_title()
        self.problem = texts.rating_problem()
        faces = texts.faces()
        grid = self.ids.faces
        buttons = list(reversed(grid.children))
        if [b.face.level for b in buttons] != [f.level for f in faces]:
            grid.clear_widgets()
            buttons = [Factory.FaceButton(face=face) for face in faces]
            for button in buttons:
                grid.add_widget(button)
        for button, face in zip(buttons, faces):
            button.face = face


class LateReasonsScreen(KioskScreen):
    """A bad late rating's reasons from the hall's list: at least one before it is sent."""

    hint = StringProperty("")
    can_send = BooleanProperty(False)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.hint = flow.texts.rating_hint()
        self.can_send = bool(flow.errand.rating and flow.errand.rating.sendable())
        shown = flow.texts.rating_reasons()
        grid = self.ids.reasons
        buttons = list(reversed(grid.children))
        if [b.code for b in buttons] != [code for code, _, _ in shown]:
            grid.clear_widgets()
            buttons = [Factory.ReasonButton(code=code) for code, _, _ in shown]
            for button in buttons:
                grid.add_widget(button)
        for button, (_code, text, chosen) in zip(buttons, shown):
            button.text, button.selected = text, chosen


class RatedScreen(KioskScreen):
    """The thank-you for a rating, then home (by itself, or at 完成)."""


class GuidesScreen(PagedScreen):
    """The services that have guides (two columns, as at home), or a chosen service's matters
    (one column: their names are long), a page of tiles at a time."""

    title = StringProperty("")
    line = StringProperty("")
    loading = BooleanProperty(False)
    cols = NumericProperty(2)
    rows = NumericProperty(4)
    _shown_level = None  # the service whose matters are listed ("" for the services): a new one starts at page 1

    def refresh(self) -> None:
        texts = App.get_running_app().flow.texts
        self.title = texts.guides_title()
        self.line = texts.guides_line()
        self.loading = App.get_running_app().flow.catalogue is None and not App.get_running_app().flow.catalogue_failed
        grid = self.ids.grid
        grid.clear_widgets()  # before the columns change: a grid refuses more tiles than it has places
        service = texts.guide_service()
        if service is not None:
            tiles = [("choose_guide", code, name, "") for code, name in service.matters]
            self.cols = 1
        else:
            tiles = [("choose_guide_service", s.code, s.name, s.count_text) for s in texts.guide_choices() or ()]
            self.cols = 2
        level = service.code if service else ""
        if level != self._shown_level:
            self._shown_level, self.page = level, 0
        per_page = self.cols * self.rows
        shown = self.paged(tiles, per_page)
        for action, code, title, info in shown:
            grid.add_widget(Factory.TileButton(action=action, code=code, title=title, info=info))
        for _ in range(per_page - len(shown) if shown else 0):  # every page's tiles the same size
            grid.add_widget(Factory.TileButton(opacity=0, disabled=True))


class GuideScreen(KioskScreen):
    """One matter's guide, a page at a time (kiosk.guide_view), its QR code for a phone on
    the first page, and 打印材料清单."""

    matter_name = StringProperty("")
    link = StringProperty("")
    qr_line = StringProperty("")
    first = BooleanProperty(True)
    page_title = StringProperty("")
    page = NumericProperty(0)
    pages = NumericProperty(1)
    checklist = StringProperty("")
    printing = BooleanProperty(False)
    printed = BooleanProperty(False)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        texts = flow.texts
        view = texts.guide_view()
        shown = texts.guide_page()
        rows = self.ids.rows
        rows.clear_widgets()
        if view is None or shown is None:
            self.matter_name = self.link = self.page_title = self.checklist = ""
            return
        self.page, page = shown
        self.matter_name, self.link, self.pages = view.name, view.link or "", len(view.pages)
        self.first = self.page == 0
        self.qr_line = texts.guide_qr_line()
        self.page_title = page.title
        for label, value in page.rows:
            row = Factory.Row()  # a kv-made class: its properties come with its rule, after __init__
            row.label, row.value = label, value
            rows.add_widget(row)
        guides = flow.errand.guides
        self.checklist = texts.checklist_line()
        self.printing = guides.printing
        self.printed = bool(guides.printed and guides.printed.outcome.ok)


class CasesScreen(PagedScreen):
    """办件进度: scan a receipt, or place the ID card to list its cases, four tiles a page
    (three in large type)."""

    line = StringProperty("")
    problem = BooleanProperty(False)
    listed = BooleanProperty(False)  # the card's cases are on screen
    rows = NumericProperty(4)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        cases = flow.errand.cases
        self.line = flow.texts.cases_line()
        self.problem = bool(cases and (cases.message or cases.found == []))
        grid = self.ids.grid
        grid.clear_widgets()  # before the rows change: a grid refuses more tiles than it has places
        self.rows = 3 if flow.visit.large_type else 4
        choices = flow.texts.case_choices()
        self.listed = bool(choices)
        shown = self.paged(choices, self.rows)
        for number, title, state in shown:
            grid.add_widget(Factory.TileButton(action="choose_case", code=number, title=title, info=state))
        for _ in range(self.rows - len(shown) if shown else 0):
            grid.add_widget(Factory.TileButton(opacity=0, disabled=True))


class CaseScreen(KioskScreen):
    """One case: where it stands, its dates, the documents still owed."""

    # Where it stands, by colour: red when the citizen has something to do or to ask.
    INKS = {"waiting_documents": "#B71C1C", "not_accepted": "#B71C1C", "returned": "#B71C1C",
            "completed": "#2E7D32"}
    matter = StringProperty("")
    state = StringProperty("")
    ink = StringProperty("#1F2933")
    owed_line = StringProperty("")
    owed = StringProperty("")
    listed = BooleanProperty(False)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        view = flow.texts.case_view()
        rows = self.ids.rows
        rows.clear_widgets()
        if view is None:
            self.matter = self.state = self.owed_line = self.owed = ""
            return
        self.matter, self.state = view.matter, view.state
        self.ink = self.INKS.get(flow.errand.cases.shown.state.value, "#1F2933")
        for label, value in view.rows:
            row = Factory.Row()
            row.label, row.value = label, value
            rows.add_widget(row)
        self.owed_line = view.owed_line
        self.owed = "\n".join(f"· {name}" for name in view.owed)
        self.listed = flow.errand.cases.found is not None

    def on_leave(self, *_):
        self.refresh()  # a citizen's case does not stay behind on a screen out of sight


KV_DIR = Path(__file__).resolve().parent
# Each flow state's screen and its .kv file. Only the home screen is built at start, the
# others on first use: the first frame waits for one screen, not ten.
SCREENS = {
    State.IDLE.value: (HomeScreen, "home"),
    State.CONFIRMING.value: (ConfirmScreen, "confirm"),
    State.IDENTIFYING.value: (IdentifyScreen, "identify"),
    State.ISSUING.value: (IssuingScreen, "issuing"),
    State.TICKET.value: (TicketScreen, "ticket"),
    State.PROGRESS.value: (ProgressScreen, "progress"),
    State.NOTICE.value: (NoticeScreen, "notice"),
    State.RATING.value: (LateRatingScreen, "late_rating"),
    State.REASONS.value: (LateReasonsScreen, "late_reasons"),
    State.THANKS.value: (RatedScreen, "rated"),
    State.GUIDES.value: (GuidesScreen, "guides"),
    State.GUIDE.value: (GuideScreen, "guide"),
    State.CASES.value: (CasesScreen, "cases"),
    State.CASE.value: (CaseScreen, "case"),
}
Factory.register("QRImage", module="screens.qr_image")


def _load_kv(name: str) -> None:
    path = str(KV_DIR / f"{name}.kv")
    if path not in Builder.files:
        Builder.load_file(path)


class Shell(ScreenManager):
    """One screen per state of a flow (`by_state`: state -> screen class and its kv file),
    built the first time it is shown; the counter terminal's shell is this one too."""

    by_state = SCREENS
    first = State.IDLE.value

    def __init__(self, **kwargs):
        for kv in ("base", "rating_widgets", "tiles"):
            _load_kv(kv)
        super().__init__(transition=NoTransition(), **kwargs)
        self.show(self.first)

    def show(self, name: str) -> None:
        if not self.has_screen(name):
            screen, kv = self.by_state[name]
            _load_kv(kv)
            self.add_widget(screen(name=name))
        if self.current == name:
            self.current_screen.refresh()
        else:
            self.current = name

    def refresh(self) -> None:
        self.current_screen.refresh()
