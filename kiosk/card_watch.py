"""The ID card reader, watched from a thread of its own so that a card placed at any moment
(at the home screen too) is read within a poll, and the screen never waits for the reader.

Each card read becomes a :class:`CardOutcome` right here, on the watcher's thread: the
card's record (name, address, number) goes through kiosk.identity and only the
Identification (masked number, salted hash, birth date) or the reason for a refusal leaves;
the record itself is dropped. Faults of the reader that no card caused (unplugged, silent, a
SAM error) are told as a :class:`ReaderStatus` when they begin and when they end, and the
reader is then tried less often; they are reported to the hall for staff.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from devices.errors import BadDeviceUrl, CardDataInvalid, CardReadFailed, IdReaderError, IdReaderUnavailable
from kiosk.hall_client import HallUnavailable
from kiosk.identity import Identification, IdentityRefused, identify

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1       # a card placed is found within this; a find exchange is 21 bytes
FAULT_PAUSE_SECONDS = 2.0  # a reader that failed is tried again this often, without a log line each time

# What the citizen is told, by the error a card read ended with (the rest are the reader's).
CARD_PROBLEMS: dict[type[Exception], str] = {
    CardReadFailed: "card.lifted",
    CardDataInvalid: "card.not_resident_card",
    HallUnavailable: "refusal.hall_unavailable",
}
READER_PROBLEMS: dict[type[Exception], tuple[str, str]] = {  # message key, status reported to the hall
    IdReaderUnavailable: ("card.reader_unavailable", "unavailable"),
}
READER_FAULT = ("card.reader_fault", "error")


@dataclass(frozen=True)
class Message:
    """A sentence for the citizen: its key in the translation layer and its fields. A date
    stays a date until the sentence is said, in the visit's language of that moment."""

    key: str
    fields: dict[str, str | date] = field(default_factory=dict)


@dataclass(frozen=True)
class CardOutcome:
    """A card placed on the reader: who (as far as the hall may know), or why not."""

    identity: Identification | None = None
    problem: Message | None = None


@dataclass(frozen=True)
class ReaderStatus:
    problem: Message | None  # None: the reader works
    status: str = "ok"       # as reported to the hall: ok, unavailable, error
    detail: str = ""


def outcome_of(error: Exception) -> CardOutcome:
    """A failed read or a refused card, as the citizen is told it."""
    if isinstance(error, IdentityRefused):
        return CardOutcome(problem=Message(error.key, dict(error.fields)))
    key = next(k for kind, k in CARD_PROBLEMS.items() if isinstance(error, kind))
    return CardOutcome(problem=Message(key))


def reader_status(error: IdReaderError) -> ReaderStatus:
    key, status = next((v for kind, v in READER_PROBLEMS.items() if isinstance(error, kind)), READER_FAULT)
    return ReaderStatus(Message(key), status, str(error)[:500])


class CardWatch:
    """Polls the reader every `interval` seconds on its own thread.

    `salt()` gives the hall's person key of today and `today()` the hall's date; both are asked only
    when a card was read, and so is `case_salt()`, the hall's key for cases, without which a
    card still identifies the visit (it then finds no cases). `on_card` and `on_reader` are called on the watcher's thread: the
    kiosk hands them to its flow's thread. `report(status, detail)` tells the hall."""

    def __init__(self, url: str, *, salt: Callable[[], bytes], today: Callable[[], date],
                 on_card: Callable[[CardOutcome], None], on_reader: Callable[[ReaderStatus], None],
                 case_salt: Callable[[], bytes] | None = None,
                 report: Callable[[str, str], None] = lambda status, detail: None,
                 interval: float = POLL_SECONDS, fault_pause: float = FAULT_PAUSE_SECONDS):
        from devices.idcard import open_id_reader  # pyserial and the driver, on a kiosk with a reader only

        self.url = url
        self._open = open_id_reader
        self._salt = salt
        self._case_salt = case_salt
        self._today = today
        self._on_card = on_card
        self._on_reader = on_reader
        self._report = report
        self._interval = interval
        self._fault_pause = fault_pause
        self.reader = None
        self._status = ReaderStatus(None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="card-watch", daemon=True)

    def start(self) -> CardWatch:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.reader is not None:
            self.reader.close()

    def open_reader(self) -> None:
        """Opens the port now (the simulator's cards become reachable); BadDeviceUrl for a bad URL."""
        if self.reader is None:
            self.reader = self._open(self.url)

    def _run(self) -> None:
        while not self._stop.is_set():
            pause = self._interval
            try:
                self.open_reader()
                self._look()
                self._now(ReaderStatus(None))
            except BadDeviceUrl as exc:
                log.error("ID card reader: %s; not watching it", exc)
                self._now(ReaderStatus(Message(READER_FAULT[0]), READER_FAULT[1], str(exc)))
                return
            except IdReaderError as exc:
                self._now(reader_status(exc))
                pause = self._fault_pause
            except Exception:  # the watcher must outlive a bug in a callback
                log.exception("ID card reader %s: watching failed", self.url)
                pause = self._fault_pause
            self._stop.wait(pause)

    def _look(self) -> None:
        """One poll; a card found is read, checked and reduced here: its record ends with this call."""
        try:
            record = self.reader.poll()
            if record is None:
                return
            outcome = CardOutcome(identity=identify(record, today=self._today(), salt=self._salt(),
                                                    case_salt=self._case_key()))
        except (IdentityRefused, CardReadFailed, CardDataInvalid, HallUnavailable) as exc:
            log.info("ID card not used: %s", exc)
            outcome = outcome_of(exc)
        if outcome.identity is not None:
            log.info("ID card %s read", outcome.identity.masked_number)
        self._on_card(outcome)

    def _case_key(self) -> bytes | None:
        if self._case_salt is None:
            return None
        try:
            return self._case_salt()
        except HallUnavailable as exc:
            log.warning("the hall's key for cases not had: %s; this card finds no cases", exc)
            return None

    def _now(self, status: ReaderStatus) -> None:
        """Tells of a change in the reader's state, once."""
        if (status.status, status.problem) == (self._status.status, self._status.problem):
            return
        self._status = status
        if status.problem is None:
            log.info("ID card reader %s works", self.url)
        else:
            log.error("ID card reader %s: %s", self.url, status.detail)
        self._report(status.status, status.detail)
        self._on_reader(status)
