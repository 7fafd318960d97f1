"""Voice guidance: the kiosk says each screen's prompt, and the ticket, for citizens who
cannot read the screen. A speaker button on every screen turns it on for the visit; a
hall may start every visit with it on (terminal.voice).

A call for staff (呼叫工作人员) is said when pressed and again when it moves on (staff
called, someone coming, go to the desk), in the visit's language.

Speech never holds up the screen: espeak-ng (hall.speech) is piped into a player on the
speaker's own thread. A new screen cuts off what the last one was saying; what a screen
learns later (the confirm screen's queue, once the hall answers) is said after what it
already says. Dates, times, ticket numbers and counters are said in their spoken forms
(hall.speech), never as they are written.

A player that fails (no sound device, a card unplugged) is tried again at the next prompt:
a sound card plugged back in speaks again. Whether the speaker works is followed by the flow,
which tells the hall (the speaker is a device on its device page) and the citizen (the
voice button says that voice cannot be had).
"""
from __future__ import annotations

import logging
import subprocess
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from hall.speech import espeak_command, spoken_counters, spoken_number, spoken_text
from hall.tickets import ServiceStatus
from kiosk.help_call import HelpCallWatch, HelpState
from kiosk.ticket_states import Errand, Event, State
from kiosk.ticket_texts import TicketTexts
from kiosk.visit import Visit, VisitEvent

log = logging.getLogger(__name__)

PLAYER = ("play", "-q", "-t", "wav", "-")  # sox: WAV on stdin to the default sound device
HELP_EVENTS = frozenset({Event.HELP, Event.HELP_RAISED, Event.HELP_FAILED, Event.HELP_POLLED,
                         Event.HELP_POLL_FAILED})
# What changes the guides on screen without a new state: said again.
GUIDE_EVENTS = frozenset({Event.GUIDE_SERVICE, Event.GUIDE_PAGE, Event.CATALOGUE_LOADED, Event.CATALOGUE_FAILED})
CHECKLIST_EVENTS = frozenset({Event.PRINT_CHECKLIST, Event.CHECKLIST_PRINTED})
CASES_EVENTS = frozenset({Event.CARD_PLACED, Event.PERSON_CASES, Event.PERSON_CASES_FAILED})


class Speaker:
    """Says one text at a time: `say` replaces whatever is being said (or, `after` it, adds
    to it), `stop` silences.

    `working` is None until the player has played or failed, then whether its last attempt
    worked; `problem` holds what it said when it failed. Both are set on the speaker's
    thread and only read elsewhere."""

    def __init__(self, player: Sequence[str] = PLAYER):
        self.player = tuple(player)
        self.working: bool | None = None
        self.problem = ""
        self._wake = threading.Condition()
        self._wanted: deque[tuple[str, str]] = deque()
        self._generation = 0
        self._running: list[subprocess.Popen] = []
        self._closed = False
        self._thread: threading.Thread | None = None

    def say(self, text: str, language: str, *, after: bool = False) -> None:
        with self._wake:
            if not after:
                self._cut()
            if self._closed:
                return
            self._wanted.append((text, language))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
                self._thread.start()
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._cut()

    def close(self) -> None:
        with self._wake:
            self._cut()
            self._closed = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _cut(self) -> None:
        """Drops what waits to be said and ends what is being said; the caller holds the lock."""
        self._wanted.clear()
        self._generation += 1
        for process in self._running:
            if process.poll() is None:
                process.kill()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._wanted and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                text, language = self._wanted.popleft()
                generation = self._generation
                log.info("saying (%s): %s", language, text)
                try:
                    espeak = subprocess.Popen(espeak_command(language), stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                    player = subprocess.Popen(self.player, stdin=espeak.stdout, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE)
                except OSError as exc:
                    self._failed(f"{exc}")
                    continue
                espeak.stdout.close()  # the player holds it now
                self._running = [espeak, player]
            try:
                espeak.stdin.write(text.encode("utf-8"))
                espeak.stdin.close()
            except OSError:  # cut off before espeak-ng took the text
                pass
            _, errors = player.communicate()
            espeak.wait()
            with self._wake:
                self._running = []
                if generation != self._generation:
                    continue  # cut off: it tells nothing of the sound device
                if player.returncode != 0:
                    lines = errors.decode(errors="replace").strip().splitlines()
                    self._failed(lines[-1] if lines else f"exit status {player.returncode}")
                elif self.working is not True:
                    if self.working is False:
                        log.info("sound is back (%s)", self.player[0])
                    self.working, self.problem = True, ""

    def _failed(self, why: str) -> None:
        """The player could not play: what waits to be said is dropped, and the next prompt
        tries again. The caller holds the lock."""
        if self.working is not False:
            log.warning("no sound device (%s: %s): voice guidance tried again at the next prompt",
                        self.player[0], why)
        self.working, self.problem = False, why[:500]
        self._wanted.clear()


class Guided(Protocol):
    """What the guide reads of the ticket flow (kiosk.flow.TicketFlow), which tells it of
    every change."""

    @property
    def state(self) -> State: ...

    visit: Visit
    errand: Errand
    help: HelpCallWatch
    texts: TicketTexts
    queues: dict[str, ServiceStatus] | None


class VoiceGuide:
    """What the kiosk says on each screen, in the visit's language, when the visit has
    voice on. The flow tells it of every change."""

    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self._help_said: tuple[int, HelpState] | None = None  # (visit number, state) last said of a help call
        self._queue_unsaid: int | None = None  # the visit whose confirm prompt was said without its queue

    @property
    def working(self) -> bool | None:
        """Whether the speaker works (None: not tried yet)."""
        return self.speaker.working

    @property
    def problem(self) -> str:
        return self.speaker.problem

    def on_state(self, flow: Guided) -> None:
        self.speaker.stop()
        self._queue_unsaid = None
        if flow.visit.voice:
            if flow.state is State.CONFIRMING and queue_said(flow) is None:
                self._queue_unsaid = flow.visit.number
            self._say(prompt(flow), flow)

    def on_update(self, flow: Guided, event: Event | VisitEvent) -> None:
        """A new language or voice turned on says the screen again; so does the identify
        screen when it has something new to say about a card or the reader. The queue of
        the service being confirmed is said once the hall tells it."""
        if event in (VisitEvent.VOICE, VisitEvent.LANGUAGE):
            self.on_state(flow)
        elif event in (Event.CARD_PLACED, Event.READER_CHANGED) and flow.state is State.IDENTIFYING:
            self.speaker.stop()
            if flow.visit.voice and flow.texts.identify_text():
                self._say(flow.texts.identify_text(), flow)
        elif event is Event.QUEUES_LOADED and self._queue_unsaid == flow.visit.number and flow.state is State.CONFIRMING:
            said = queue_said(flow)
            if said is not None:
                self._queue_unsaid = None
                if flow.visit.voice:
                    self._say(said, flow, after=True)
        elif event in HELP_EVENTS:
            self._help(flow, pressed=event is Event.HELP)
        elif event in CASES_EVENTS and flow.state is State.CASES:
            self.on_state(flow)
        elif event in GUIDE_EVENTS and flow.state in (State.GUIDES, State.GUIDE):
            self.on_state(flow)
        elif event in CHECKLIST_EVENTS and flow.state is State.GUIDE:
            self.speaker.stop()
            if flow.visit.voice and flow.texts.checklist_line():
                self._say(flow.texts.checklist_line(), flow)

    def _say(self, text: str, flow: Guided, *, after: bool = False) -> None:
        language = flow.visit.language
        self.speaker.say(spoken_text(text, language), language, after=after)

    def _help(self, flow: Guided, *, pressed: bool) -> None:
        """Says where the call for help stands: at each press, and when it moves on."""
        visit, state = flow.visit, flow.help.state
        said, self._help_said = self._help_said, (visit.number, state)
        if not visit.voice or state is HelpState.NONE:
            return
        if pressed or said != (visit.number, state):
            self._say(flow.texts.help_text(), flow)

    def close(self) -> None:
        self.speaker.close()


def prompt(flow: Guided) -> str:
    """What the present screen says aloud."""
    texts = flow.texts
    tr = texts.tr
    state = flow.state
    if state is State.IDLE:
        closed = texts.closed_text()
        if closed:
            return tr.t("voice.closed", title=tr.t("home.closed_title"), reason=closed)
        names = tr.t("format.counter_join").join(c.name for c in texts.services() if c.available)
        return tr.t("voice.home", names=names, card=texts.card_prompt())
    if state is State.CONFIRMING:
        choice = texts.chosen()
        return tr.t("voice.confirm", service=choice.name if choice else "", queue=queue_said(flow) or "",
                    button=tr.t("confirm.take"))
    if state is State.IDENTIFYING:
        service = texts.chosen()
        asked = tr.t("voice.identify", prompt=tr.t("identify.prompt", service=service.name if service else ""),
                     or_scan=tr.t("identify.or_scan"))
        return f"{texts.identify_text()} {asked}".strip()
    if state is State.ISSUING:
        return texts.busy_text()
    if state is State.PROGRESS:
        view = texts.progress_view()
        said = tr.t("voice.progress", number=spoken_number(view.number, tr.language), status=view.status)
        return f"{said} {texts.rating_line()}".strip()
    if state is State.RATING:
        return tr.t("rating.spoken")
    if state is State.REASONS:
        return tr.t("rating.reasons_title")
    if state is State.THANKS:
        return tr.t("rating.thanks")
    if state is State.TICKET:
        view = texts.ticket_view()
        ticket = flow.errand.ticket
        printed = flow.errand.printed
        said = tr.t("voice.ticket", number=spoken_number(view.number, tr.language),
                    counters=spoken_counters(ticket.counters, tr.language), ahead=tr.count("voice.ahead", ticket.ahead))
        return f"{said} {tr.t('ticket.take_slip' if printed and printed.ok else 'ticket.print_failed')}"
    if state is State.NOTICE:
        return texts.notice_text()
    if state is State.CASES:
        return f"{tr.t('cases.prompt')} {texts.cases_line()}".strip()
    if state is State.CASE:
        view = texts.case_view()
        if view is None:
            return ""
        due = dict(view.rows).get(tr.t("cases.due"))
        said = tr.t("cases.spoken", matter=view.matter, state=view.state, due=tr.t("cases.spoken_due", day=due) if due else "")
        if view.owed:
            said += tr.t("cases.spoken_owed", names=tr.t("format.counter_join").join(view.owed))
        return said.strip()
    if state is State.GUIDES:
        return guides_said(flow)
    if state is State.GUIDE:
        shown = texts.guide_page()
        if shown is None:
            return ""
        index, page = shown
        rows = tr.t("guides.spoken_join").join(tr.t("guides.spoken_row", label=label, value=value)
                                               for label, value in page.rows)
        said = tr.t("guides.spoken_page", title=page.title, rows=rows)
        return f"{texts.guide_view().name}{tr.t('guides.spoken_join')}{said}" if index == 0 else said
    return ""


def guides_said(flow: Guided) -> str:
    """The guides' list as it is said: the services, or a service's matters."""
    texts = flow.texts
    tr = texts.tr
    line = texts.guides_line()
    if line:
        return line
    join = tr.t("format.counter_join")
    service = texts.guide_service()
    if service is not None:
        return tr.t("guides.spoken_matters", service=service.name, names=join.join(n for _, n in service.matters))
    return tr.t("guides.spoken_services", names=join.join(s.name for s in texts.guide_choices()))


def queue_said(flow: Guided) -> str | None:
    """The chosen service's queue as it is said ("现在等候 5 人，约 14 分钟。"), or None
    while the hall has not told it."""
    choice = flow.texts.chosen()
    if choice is None or choice.waiting is None:
        return None
    status = flow.queues[choice.code]
    return flow.texts.tr.count("voice.queue", choice.waiting, minutes=max(status.estimated_wait_minutes, 1))
