"""Voice guidance: the kiosk says each screen's prompt, and the ticket, for citizens who
cannot read the screen. A speaker button on every screen turns it on for the visit; a
hall may start every visit with it on (terminal.voice).

A call for staff (呼叫工作人员) is said when pressed and again when it moves on (staff
called, someone coming, go to the desk), in the visit's language.

Speech never holds up the screen: espeak-ng (hall.speech) is piped into a player on the
speaker's own thread. A new screen cuts off what the last one was saying. A machine
without a sound device logs that once and goes on silently.
"""
from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hall.speech import espeak_command, spoken_number
from kiosk.flow import Event, HelpState, State

if TYPE_CHECKING:
    from kiosk.flow import TicketFlow

log = logging.getLogger(__name__)

PLAYER = ("play", "-q", "-t", "wav", "-")  # sox: WAV on stdin to the default sound device
HELP_EVENTS = frozenset({Event.HELP, Event.HELP_RAISED, Event.HELP_FAILED, Event.HELP_POLLED,
                         Event.HELP_POLL_FAILED})


class Speaker:
    """Says one text at a time: `say` replaces whatever is being said, `stop` silences."""

    def __init__(self, player: Sequence[str] = PLAYER):
        self.player = tuple(player)
        self.silent = False  # set once the player has shown there is no sound device
        self._wake = threading.Condition()
        self._wanted: tuple[str, str] | None = None
        self._generation = 0
        self._running: list[subprocess.Popen] = []
        self._closed = False
        self._thread: threading.Thread | None = None

    def say(self, text: str, language: str) -> None:
        with self._wake:
            self._cut()
            if self.silent or self._closed:
                return
            self._wanted = (text, language)
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
        self._wanted = None
        self._generation += 1
        for process in self._running:
            if process.poll() is None:
                process.kill()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._wanted is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                (text, language), self._wanted = self._wanted, None
                generation = self._generation
                log.info("saying (%s): %s", language, text)
                try:
                    espeak = subprocess.Popen(espeak_command(language), stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                    player = subprocess.Popen(self.player, stdin=espeak.stdout, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE)
                except OSError as exc:
                    self._no_sound(f"{exc}")
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
                if player.returncode != 0 and generation == self._generation:
                    self._no_sound(errors.decode(errors="replace").strip().splitlines()[-1:] or player.returncode)

    def _no_sound(self, why: object) -> None:
        if not self.silent:
            log.warning("no sound device (%s: %s): voice guidance goes on silently", self.player[0], why)
        self.silent = True


class VoiceGuide:
    """What the kiosk says on each screen, in the visit's language, when the visit has
    voice on. The flow tells it of every change."""

    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self._help_said: tuple[object, HelpState] | None = None  # (visit, state) last said of a help call

    def on_state(self, flow: TicketFlow) -> None:
        self.speaker.stop()
        if flow.visit.voice:
            self.speaker.say(prompt(flow), flow.visit.language)

    def on_update(self, flow: TicketFlow, event: Event) -> None:
        """A new language or voice turned on says the screen again; so does the identify
        screen when it has something new to say about a card or the reader."""
        if event in (Event.VOICE, Event.LANGUAGE):
            self.on_state(flow)
        elif event in (Event.CARD_PLACED, Event.READER_CHANGED) and flow.state is State.IDENTIFYING:
            self.speaker.stop()
            if flow.visit.voice and flow.identify_text():
                self.speaker.say(flow.identify_text(), flow.visit.language)
        elif event in HELP_EVENTS:
            self._help(flow, pressed=event is Event.HELP)

    def _help(self, flow: TicketFlow, *, pressed: bool) -> None:
        """Says where the call for help stands: at each press, and when it moves on."""
        visit = flow.visit
        said, self._help_said = self._help_said, (visit, visit.help)
        if not visit.voice or visit.help is HelpState.NONE:
            return
        if pressed or said is None or said[0] is not visit or said[1] is not visit.help:
            self.speaker.say(flow.help_text(), visit.language)

    def close(self) -> None:
        self.speaker.close()


def prompt(flow: TicketFlow) -> str:
    """What the present screen says aloud."""
    tr = flow.tr
    state = flow.state
    if state is State.IDLE:
        closed = flow.closed_text()
        if closed:
            return tr.t("voice.closed", title=tr.t("home.closed_title"), reason=closed)
        return tr.t("voice.home", button=tr.t("home.take_ticket"))
    if state is State.CHOOSING:
        names = tr.t("format.counter_join").join(c.name for c in flow.services() if c.available)
        return tr.t("voice.services", names=names)
    if state is State.CONFIRMING:
        choice = flow.chosen()
        waiting = tr.count("services.waiting", choice.waiting) if choice and choice.waiting is not None else ""
        return tr.t("voice.confirm", service=choice.name if choice else "", waiting=waiting,
                    button=tr.t("confirm.take"))
    if state is State.IDENTIFYING:
        service = flow.chosen()
        asked = tr.t("voice.identify", prompt=tr.t("identify.prompt", service=service.name if service else ""),
                     or_scan=tr.t("identify.or_scan"))
        return f"{flow.identify_text()} {asked}".strip()
    if state is State.ISSUING:
        return flow.busy_text()
    if state is State.PROGRESS:
        view = flow.progress_view()
        return tr.t("voice.progress", number=spoken_number(view.number, tr.language), status=view.status)
    if state is State.TICKET:
        view = flow.ticket_view()
        ticket = flow.visit.ticket
        printed = flow.visit.printed
        said = tr.t("voice.ticket", number=spoken_number(view.number, tr.language), counters=view.counters,
                    ahead=tr.count("voice.ahead", ticket.ahead))
        return f"{said} {tr.t('ticket.take_slip' if printed and printed.ok else 'ticket.print_failed')}"
    if state is State.NOTICE:
        return flow.notice_text()
    return ""
