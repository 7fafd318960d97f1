"""The counter terminal's flow (窗口评价器): a table on kiosk.machine, knowing nothing of Kivy.

Between transactions the screen shows the staff member serving at its counter, the counter
and the number being served (CARD), from the hall's card (GET /counter-terminal) and then
from its live events; a staff member signing in or out there (counter_staff) has the card
read again at once. When the staff member completes a ticket at this counter, the
`completed` event turns the screen to the rating by itself (RATING): five faces; 不满意 and
非常不满意 ask for at least one of the hall's reasons (REASONS), a comment optional; a citizen
the hall would phone back may leave a number instead (PHONE). A rating or a number goes into
the terminal's outbox with a key of its transaction, so that it is delivered once whatever
happens to the terminal or the network, and the thank-you (THANKS) shows once it is stored.
Nobody rating within the hall's time, or the counter's next call, ends the prompt without a
rating: the hall records the transaction as not rated by itself, the terminal only leaves the
prompt. The level is said to no one: it is in no log and no event the staff see.

The hall and the outbox are reached only from jobs on the runner's thread, and the live
events come from their reader's thread through `post`, so the screen never waits on I/O.
When the hall cannot be reached the card stays as it was, marked offline, and what is given
waits in the outbox; the live events resume where they left off once the hall answers again.
Until the first card arrives the screen says that the terminal is connecting (OFFLINE).

The citizen's language, type size and voice are the visit's (kiosk.visit); each prompt's
end starts a new visit in the terminal's defaults.

A receipt asked for at this counter (receipt_requested) is passed to the terminal's receipt
printer (kiosk.counter_receipts), which works on a thread of its own; a request for another
counter is left alone.
"""
from __future__ import annotations

import enum
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hall.ratings.terms import BAD_UP_TO, LEVELS
from kiosk import rating_faces
from kiosk.i18n import Translator
from kiosk.machine import ANY, Job, Listener, Machine, Runner, Transition
from kiosk.visit import Visit, VisitButtons, VisitEvent

if TYPE_CHECKING:
    from hall.schemas import CounterTerminalPublic, ReasonPublic
    from kiosk.counter_receipts import CounterReceipts
    from kiosk.rating_faces import Face
    from kiosk.remote import RemoteHall
    from kiosk.voice import Speaker

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0     # how soon a card that could not be had is asked for again
REFRESH_SECONDS = 60.0  # the card is read again this often, for a session that ran out
PHONE_DIGITS = 12
# What the hall takes (hall.schemas.Phone): a mobile, or a landline with its area code.
PHONE_FORM = re.compile(r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}[0-9]{7,8})$")
# Ticket events that change what the counter serves: called (and called back) serve a
# number; the others end its service.
SERVING = frozenset({"called", "called_back", "recalled"})
NOT_SERVING = frozenset({"completed", "absent", "held", "transferred"})


class State(enum.Enum):
    OFFLINE = "offline"   # no card yet: connecting to the hall
    CARD = "card"         # the staff member, the counter, the number served
    RATING = "rating"     # five faces
    REASONS = "reasons"   # a bad rating's reasons and comment
    PHONE = "phone"       # a number for the hall's call-back
    THANKS = "thanks"


class Event(enum.Enum):
    CARD_LOADED = "card_loaded"    # data: CounterTerminalPublic
    CARD_FAILED = "card_failed"    # data: the exception
    PHOTO_LOADED = "photo_loaded"  # data: (job number, the photo's bytes)
    PHOTO_FAILED = "photo_failed"  # data: the exception
    COMPLETED = "completed"        # data: Prompt
    SERVED = "served"              # data: the number now served, or None
    PROMPT_ENDED = "prompt_ended"  # data: the ticket id the hall ended the prompt of
    PAUSED = "paused"              # data: whether the counter is paused
    STAFF_CHANGED = "staff_changed"  # a staff member signed in or out at the counter
    CONNECTION = "connection"      # data: whether the live events are flowing
    RATE = "rate"                  # data: the level, 1-5
    REASON = "reason"              # data: a reason's code, chosen or unchosen
    COMMENT = "comment"            # data: the comment's text
    SEND = "send"                  # the reasons chosen: send the bad rating
    PHONE = "phone"                # leave a number instead of rating now
    DIGIT = "digit"                # data: "0"-"9"
    ERASE = "erase"
    PHONE_SEND = "phone_send"
    BACK = "back"
    STORED = "stored"              # the rating or number is in the outbox
    STORE_FAILED = "store_failed"  # data: the exception
    TICK = "tick"


@dataclass(frozen=True)
class Prompt:
    """A completed transaction of this counter, awaiting its rating until `deadline` (on the
    terminal's monotonic clock)."""

    ticket_id: int
    number: str
    deadline: float
    callback_offered: bool = False


@dataclass
class Answer:
    """What the citizen is giving for the prompt on screen."""

    level: int | None = None
    reasons: list[str] = field(default_factory=list)
    comment: str = ""
    phone: str = ""


class CounterFlow(VisitButtons, Listener):
    def __init__(self, hall: RemoteHall, *, counter: str, language: str = "zh_CN", large_type: bool = False,
                 voice: bool = False, thanks_seconds: float = 4, listener: Listener | None = None,
                 runner: Runner | None = None, speaker: Speaker | None = None,
                 monotonic: Callable[[], float] = time.monotonic, receipts: CounterReceipts | None = None):
        self.hall = hall
        self.receipts = receipts
        self.counter = counter
        self.thanks_seconds = thanks_seconds
        self.listener = listener or Listener()
        self.speaker = speaker
        self.monotonic = monotonic
        self.visit = Visit(language=language, large_type=large_type, voice=voice, clock=monotonic)
        self.card: CounterTerminalPublic | None = None
        self.serving: str | None = None
        self.paused = False
        self.connected = False
        self.photo: bytes | None = None     # in memory only, for the screen
        self._photo_of: str | None = None   # whose photo `photo` is, or is being fetched
        self.prompt: Prompt | None = None
        self.answer = Answer()
        self.problem = ""                   # why the last answer could not be stored
        self._loading = False
        self._stale = False                 # the card being read may be older than the hall's news
        self._storing = False               # an answer is on its way into the outbox
        self._next_load = 0.0               # monotonic time of the next reading of the card
        self._thanks_until = 0.0
        self.started_events: Callable[[int], None] | None = None  # set by the terminal: follows the events after an id
        self.machine = Machine(self, TABLE, State.OFFLINE, on_enter=ON_ENTER, ignored=IGNORED, listener=self,
                               runner=runner, name="counter terminal")

    @property
    def state(self) -> State:
        return self.machine.state

    # -- what a screen shows ------------------------------------------------------------

    @property
    def tr(self) -> Translator:
        return Translator(self.visit.language)

    def hall_name(self) -> str:
        return self.hall.spec.hall.name.get(self.visit.language)

    def counter_text(self) -> str:
        return self.tr.t("counter.counter", counter=self.counter)

    def serving_text(self) -> str:
        if self.paused:
            return self.tr.t("counter.paused")
        return self.tr.t("counter.serving", number=self.serving) if self.serving else self.tr.t("counter.free")

    def staff_lines(self) -> tuple[str, str, str]:
        """The staff member's name, "工号 0301", and post and department; blank if nobody is
        signed in here."""
        staff = self.card.staff if self.card else None
        if staff is None:
            return self.tr.t("counter.no_staff"), "", ""
        place = " · ".join(p for p in (staff.post, staff.department) if p)
        return staff.name, self.tr.t("counter.job_no", job_no=staff.job_no), place

    def status_text(self) -> str:
        """A line under the card while the hall cannot be reached."""
        return "" if self.connected else self.tr.t("counter.offline")

    def faces(self) -> list[Face]:
        return rating_faces.faces(self.tr)

    def rating_title(self) -> str:
        return self.tr.t("rating.prompt", number=self.prompt.number) if self.prompt else ""

    def seconds_left(self) -> int:
        return max(0, int(self.prompt.deadline - self.monotonic() + 0.999)) if self.prompt else 0

    def reasons(self) -> list[tuple[ReasonPublic, str, bool]]:
        """The hall's reasons, each with its name in the visit's language and whether chosen."""
        lang = self.visit.language
        return [(r, r.name.get(lang) or r.name["zh_CN"], r.code in self.answer.reasons)
                for r in (self.card.reasons if self.card else [])]

    def reasons_hint(self) -> str:
        if not self.answer.reasons:
            return self.tr.t("rating.reason_needed")
        if self._comment_wanted():
            return self.tr.t("rating.comment_needed")
        return ""

    def can_send(self) -> bool:
        return bool(self.answer.reasons) and not self._comment_wanted()

    def callback_offered(self) -> bool:
        return bool(self.prompt and self.prompt.callback_offered)

    def phone_text(self) -> str:
        return self.answer.phone

    def phone_complete(self) -> bool:
        return bool(PHONE_FORM.match(self.answer.phone))

    def thanks_text(self) -> str:
        return self.tr.t("rating.thanks_phone" if self.answer.phone else "rating.thanks")

    # -- what a screen, the clock and the live events call ------------------------------

    def start(self) -> None:
        """Reads the card for the first time; the app calls it once its first frame is up."""
        self._load()

    def tick(self) -> None:
        """About once a second: the prompt's time, the thank-you's, the card's next reading,
        the receipt printer's next check."""
        self.machine.fire(Event.TICK)
        if self.receipts is not None:
            self.receipts.tick()

    def live(self, kind: str, data: dict) -> None:
        """One of the hall's live events (its kind, and its data: EventPublic), on the flow's thread."""
        counter = data.get("counter")
        payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        ticket = payload.get("ticket") if isinstance(payload.get("ticket"), dict) else {}
        if kind in ("rated", "not_rated"):
            if self.prompt is not None and data.get("ticket_id") == self.prompt.ticket_id:
                self.machine.fire(Event.PROMPT_ENDED, self.prompt.ticket_id)
            return
        if counter != self.counter:
            return
        if kind == "receipt_requested":
            if self.receipts is not None:
                self.receipts.requested(counter, int(data["id"]))
            return
        if kind in ("counter_paused", "counter_resumed"):
            self.machine.fire(Event.PAUSED, kind == "counter_paused")
        elif kind == "counter_staff":
            self.machine.fire(Event.STAFF_CHANGED)
        elif kind == "completed" and self.card is not None:
            self.machine.fire(Event.COMPLETED, Prompt(ticket_id=int(data["ticket_id"]), number=str(ticket.get("number", "")),
                                                      deadline=self.monotonic() + self.card.window_seconds))
        if kind in SERVING and ticket.get("status") == "called":
            self.machine.fire(Event.SERVED, ticket.get("number"))
        elif kind in NOT_SERVING:
            self.machine.fire(Event.SERVED, None)

    def connection(self, up: bool) -> None:
        self.machine.fire(Event.CONNECTION, up)

    def rate(self, level: int) -> None:
        self.machine.fire(Event.RATE, level)

    def toggle_reason(self, code: str) -> None:
        self.machine.fire(Event.REASON, code)

    def set_comment(self, text: str) -> None:
        self.machine.fire(Event.COMMENT, text)

    def send(self) -> None:
        self.machine.fire(Event.SEND)

    def leave_phone(self) -> None:
        self.machine.fire(Event.PHONE)

    def digit(self, digit: str) -> None:
        self.machine.fire(Event.DIGIT, digit)

    def erase(self) -> None:
        self.machine.fire(Event.ERASE)

    def send_phone(self) -> None:
        self.machine.fire(Event.PHONE_SEND)

    def back(self) -> None:
        self.machine.fire(Event.BACK)

    def close(self) -> None:
        if self.speaker is not None:
            self.speaker.close()
        if self.receipts is not None:
            self.receipts.close()  # before the hall: its outbox takes the last outcome
        self.hall.close()

    # -- Listener: the machine's, passed on to the screens --------------------------------

    def on_state(self, old: State, new: State) -> None:
        self.listener.on_state(old, new)

    def on_update(self, event: Event) -> None:
        self.listener.on_update(event)

    # -- guards and actions (the table names these) ------------------------------------------

    def _load(self) -> Job | None:
        if self._loading:
            return None
        self._loading = True
        self.machine.start(Job(self.hall.counter_card, Event.CARD_LOADED, Event.CARD_FAILED))
        return None

    def _loaded(self, card: CounterTerminalPublic) -> None:
        self._loading = False
        self._next_load = self.monotonic() + (0 if self._stale else REFRESH_SECONDS)
        self._stale = False
        if card.counter != self.counter:
            log.error("the hall's token for this terminal is bound to counter %s, and the terminal's "
                      "configuration names counter %s: it shows counter %s", card.counter, self.counter, card.counter)
            self.counter = card.counter
        first = self.card is None
        self.card = card
        self.serving, self.paused = card.serving, card.paused
        if self.prompt is not None and card.prompt is not None and card.prompt.ticket_id == self.prompt.ticket_id:
            self.prompt = Prompt(self.prompt.ticket_id, self.prompt.number, self.prompt.deadline,
                                 card.prompt.callback_offered)
        staff = card.staff.job_no if card.staff and card.staff.photo else None
        if staff != self._photo_of:
            self._photo_of, self.photo = staff, None
            if staff is not None:
                self.machine.start(Job(lambda: (staff, self.hall.staff_photo()), Event.PHOTO_LOADED,
                                       Event.PHOTO_FAILED))
        if first and self.started_events is not None:
            self.connected = True
            self.started_events(card.last_event_id)

    def _card_prompt(self, card: CounterTerminalPublic) -> bool:
        """A first card that finds a prompt open (the terminal restarted within it)."""
        return card.prompt is not None and self.prompt is None

    def _open_from_card(self, card: CounterTerminalPublic) -> None:
        self._loaded(card)
        left = (card.prompt.until - card.at).total_seconds()
        self._open(Prompt(card.prompt.ticket_id, card.prompt.number, self.monotonic() + left,
                          card.prompt.callback_offered))

    def _failed(self, exc: Exception) -> None:
        self._loading = False
        self._next_load = self.monotonic() + RETRY_SECONDS
        log.info("the counter's card not read: %s", exc)

    def _photo(self, data: tuple[str, bytes]) -> None:
        job_no, photo = data
        if job_no == self._photo_of:
            self.photo = photo

    def _no_photo(self, exc: Exception) -> None:
        log.info("the staff photo not shown: %s", exc)

    def _open(self, prompt: Prompt) -> None:
        self.visit.reset()
        self.prompt = prompt
        self.answer = Answer()
        self.problem = ""
        self._load()  # whether the hall phones this one back, and who serves now

    def _completed_again(self, prompt: Prompt) -> None:
        log.info("counter %s: ticket %s completed while %s was prompted; that one is not rated here",
                 self.counter, prompt.number, self.prompt.number if self.prompt else "none")
        self._open(prompt)

    def _serve(self, number: str | None) -> None:
        self.serving = number

    def _next_call(self, number: str | None) -> bool:
        return number is not None

    def _end(self, _data: object = None) -> None:
        """The prompt is over (rated, timed out, the next call): back to the card, a new visit."""
        if self.prompt is not None and self.answer.level is None and not self.answer.phone:
            log.info("counter %s: ticket %s left unrated at the terminal", self.counter, self.prompt.number)
        self.prompt = None
        self.answer = Answer()
        self.visit.reset()
        if self.speaker is not None:
            self.speaker.stop()

    def _ended_by_next_call(self, number: str | None) -> None:
        self._end()
        self.serving = number

    def _this_prompt(self, ticket_id: int) -> bool:
        return self.prompt is not None and ticket_id == self.prompt.ticket_id

    def _staff_changed(self, _data: object = None) -> None:
        """Reads the card now, or once more at the next tick if a reading is on its way."""
        if self._loading:
            self._stale = True
        else:
            self._load()

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused

    def _set_connected(self, up: bool) -> None:
        was, self.connected = self.connected, up
        if up and not was:
            self._load()  # a staff member may have signed in or out meanwhile

    def _good(self, level: int) -> bool:
        return level in LEVELS and level > BAD_UP_TO and self._free()

    def _bad(self, level: int) -> bool:
        return level in LEVELS and level <= BAD_UP_TO and self._free()

    def _free(self, _data: object = None) -> bool:
        """Nothing is being stored: a second tap while the first is written is dropped."""
        return not self._storing

    def _choose(self, level: int) -> None:
        self.visit.touched()
        self.answer.level = level

    def _store_rating(self, level: int) -> Job:
        self._choose(level)
        return self._store_answer()

    def _store_answer(self, _data: object = None) -> Job:
        prompt, answer = self.prompt, self.answer
        self._storing = True
        return Job(lambda: self.hall.report_rating(prompt.ticket_id, answer.level, reasons=list(answer.reasons),
                                                   comment=answer.comment.strip(),
                                                   idempotency_key=f"counter-rating-{prompt.ticket_id}"),
                   Event.STORED, Event.STORE_FAILED)

    def _store_phone(self, _data: object = None) -> Job:
        prompt, phone = self.prompt, self.answer.phone
        self._storing = True
        return Job(lambda: self.hall.leave_phone(prompt.ticket_id, phone,
                                                 idempotency_key=f"counter-phone-{prompt.ticket_id}"),
                   Event.STORED, Event.STORE_FAILED)

    def _sendable(self, _data: object = None) -> bool:
        return self.can_send() and self._free()

    def _phone_sendable(self, _data: object = None) -> bool:
        return self.phone_complete() and self._free()

    def _stored(self, _data: object) -> None:
        self._storing = False
        log.info("counter %s: an answer kept for the hall", self.counter)  # neither the level nor the number

    def _store_failed(self, exc: Exception) -> None:
        self._storing = False
        self.answer.level = None
        self.problem = self.tr.t("rating.not_stored")
        log.error("counter %s: the answer could not be kept: %s", self.counter, exc)

    def _toggle_reason(self, code: str) -> None:
        self.visit.touched()
        if code in self.answer.reasons:
            self.answer.reasons.remove(code)
        elif any(r.code == code for r in (self.card.reasons if self.card else [])):
            self.answer.reasons.append(code)

    def _comment(self, text: str) -> None:
        self.visit.touched()
        self.answer.comment = str(text)[:500]

    def _comment_wanted(self) -> bool:
        wanting = {r.code for r in (self.card.reasons if self.card else []) if r.needs_comment}
        return bool(wanting.intersection(self.answer.reasons)) and not self.answer.comment.strip()

    def _to_reasons(self, level: int) -> None:
        self._choose(level)
        self.problem = ""

    def _back_to_faces(self, _data: object = None) -> None:
        self.visit.touched()
        self.answer = Answer()

    def _digit(self, digit: str) -> None:
        self.visit.touched()
        if isinstance(digit, str) and len(digit) == 1 and digit.isdigit() and len(self.answer.phone) < PHONE_DIGITS:
            self.answer.phone += digit

    def _erase(self, _data: object = None) -> None:
        self.visit.touched()
        self.answer.phone = self.answer.phone[:-1]

    def _thank(self, _data: object = None) -> None:
        self._thanks_until = self.monotonic() + self.thanks_seconds

    def _prompt_over(self, _data: object = None) -> bool:
        return self.prompt is not None and self.monotonic() >= self.prompt.deadline and not self._storing

    def _thanked(self, _data: object = None) -> bool:
        return self.monotonic() >= self._thanks_until

    def _due(self, _data: object = None) -> bool:
        return not self._loading and self.monotonic() >= self._next_load

    def _tick_load(self, _data: object = None) -> None:
        self._load()

    def _say_prompt(self, _data: object = None) -> None:
        """The spoken prompt, when the visit has voice on."""
        if self.speaker is not None and self.visit.voice:
            self.speaker.say(self.tr.t("rating.spoken"), self.visit.language)
        if self.speaker is not None:
            self.visit.speaker_changed(self.speaker.working)

    def _language(self, language: str) -> None:
        if self.visit.knows(language):
            self.visit.set_language(language)
            if self.state is State.RATING:
                self._say_prompt()

    def _large_type(self, _data: object) -> None:
        self.visit.toggle_large_type()

    def _voice(self, _data: object) -> None:
        self.visit.toggle_voice()
        if self.state is State.RATING:
            self._say_prompt()
        elif self.speaker is not None and not self.visit.voice:
            self.speaker.stop()


PROMPTING = (State.RATING, State.REASONS, State.PHONE)

TABLE = [
    # The card, and the hall's word about the counter.
    Transition(State.OFFLINE, Event.CARD_LOADED, State.RATING, guard=CounterFlow._card_prompt,
               action=CounterFlow._open_from_card),
    Transition(State.OFFLINE, Event.CARD_LOADED, State.CARD, action=CounterFlow._loaded),
    Transition(ANY, Event.CARD_LOADED, action=CounterFlow._loaded),
    Transition(ANY, Event.CARD_FAILED, action=CounterFlow._failed),
    Transition(ANY, Event.PHOTO_LOADED, action=CounterFlow._photo),
    Transition(ANY, Event.PHOTO_FAILED, action=CounterFlow._no_photo),
    Transition(ANY, Event.PAUSED, action=CounterFlow._set_paused),
    Transition(ANY, Event.STAFF_CHANGED, action=CounterFlow._staff_changed),
    Transition(ANY, Event.CONNECTION, action=CounterFlow._set_connected),
    # A ticket completed here opens the prompt; the next call or its time ends it.
    Transition((State.CARD, State.THANKS), Event.COMPLETED, State.RATING, action=CounterFlow._open),
    Transition(PROMPTING, Event.COMPLETED, State.RATING, action=CounterFlow._completed_again),
    Transition(PROMPTING, Event.SERVED, State.CARD, guard=CounterFlow._next_call,
               action=CounterFlow._ended_by_next_call),
    Transition(ANY, Event.SERVED, action=CounterFlow._serve),
    Transition(PROMPTING, Event.PROMPT_ENDED, State.CARD, guard=CounterFlow._this_prompt, action=CounterFlow._end),
    Transition(PROMPTING, Event.TICK, State.CARD, guard=CounterFlow._prompt_over, action=CounterFlow._end),
    # The faces: a good rating is sent at once, a bad one asks for its reasons.
    Transition(State.RATING, Event.RATE, guard=CounterFlow._good, action=CounterFlow._store_rating),
    Transition(State.RATING, Event.RATE, State.REASONS, guard=CounterFlow._bad, action=CounterFlow._to_reasons),
    Transition(State.RATING, Event.PHONE, State.PHONE, guard=lambda flow, _: flow.callback_offered(),
               action=CounterFlow._back_to_faces),
    Transition(State.REASONS, Event.REASON, guard=CounterFlow._free, action=CounterFlow._toggle_reason),
    Transition(State.REASONS, Event.COMMENT, guard=CounterFlow._free, action=CounterFlow._comment),
    Transition(State.REASONS, Event.SEND, guard=CounterFlow._sendable, action=CounterFlow._store_answer),
    Transition((State.REASONS, State.PHONE), Event.BACK, State.RATING, guard=CounterFlow._free,
               action=CounterFlow._back_to_faces),
    Transition(State.PHONE, Event.DIGIT, guard=CounterFlow._free, action=CounterFlow._digit),
    Transition(State.PHONE, Event.ERASE, guard=CounterFlow._free, action=CounterFlow._erase),
    Transition(State.PHONE, Event.PHONE_SEND, guard=CounterFlow._phone_sendable, action=CounterFlow._store_phone),
    Transition(PROMPTING, Event.STORED, State.THANKS, action=CounterFlow._stored),
    Transition(ANY, Event.STORED, action=CounterFlow._stored),  # the prompt ended meanwhile: kept all the same
    Transition(ANY, Event.STORE_FAILED, action=CounterFlow._store_failed),
    Transition(State.THANKS, Event.TICK, State.CARD, guard=CounterFlow._thanked, action=CounterFlow._end),
    Transition(ANY, Event.TICK, guard=CounterFlow._due, action=CounterFlow._tick_load),
    # The citizen's choices of the visit.
    Transition(ANY, VisitEvent.LANGUAGE, action=CounterFlow._language),
    Transition(ANY, VisitEvent.LARGE_TYPE, action=CounterFlow._large_type),
    Transition(ANY, VisitEvent.VOICE, action=CounterFlow._voice),
]

ON_ENTER = {
    State.RATING: CounterFlow._say_prompt,
    State.THANKS: CounterFlow._thank,
}
# What a state may be sent and leave alone: a late answer, a stray touch, news of a prompt
# already left.
IGNORED = frozenset({Event.RATE, Event.REASON, Event.COMMENT, Event.SEND, Event.PHONE, Event.DIGIT, Event.ERASE,
                     Event.PHONE_SEND, Event.BACK, Event.COMPLETED, Event.PROMPT_ENDED})
