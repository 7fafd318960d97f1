"""``simidcard://``: a simulated ID card reader (its SAM module) behind a pyserial port.

It speaks the real frames (devices.idcard_protocol): checksums checked both ways, a request
with a bad checksum answered with the SAM's own status 0x10, a card that must be found,
selected and read in that order, and halted after its read until it is lifted, as a real
card is (it can still be read again while it lies there selected). Cards come from a small TOML file (one ``[[card]]`` table per placement, fields as
the card stores them, see docs/id-card-reader.md) or default to one sample card. Faults are
scripted per command. The same :class:`SimulatedIdCardReader` can serve a real pty
(:func:`devices.urlhandler.simulated_port.serve_fd`) for tests over a tty.

URL form::

    simidcard://[?card=FILE][&present=1|0][&loop=0|1][&baudrate=N]
                [&fault=bad_checksum|truncated|silent|sam_error|lifted][&fault_on=status|find|select|read]
                [&fault_times=N][&sw=HEX]

Each card read is taken away by the next find while more wait (the next citizen's);
``loop=1`` places the first card again after the last; ``present=0`` starts with no card on
the reader, and the cards wait for a test's ``place()``; ``baudrate`` paces replies at that wire speed (default: at once). A fault
strikes the replies to ``fault_on`` (default read), the next ``fault_times`` of them
(default every one); ``sw`` is the SW3 a ``sam_error`` answers with (default 60, SAM
self-test failed).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devices import idcard_protocol as sam
from devices.errors import BadDeviceUrl, IdReaderFrameError
from devices.idcard_record import layout_text_block
from devices.urlhandler.simulated_port import SimulatedPort
from devices.urlhandler.simulator_urls import FAULT_ON, simidcard_options

logger = logging.getLogger("devices.simidcard")

FAULT_COMMANDS = dict(zip(FAULT_ON, (sam.SAM_STATUS, sam.FIND_CARD, sam.SELECT_CARD, sam.READ_TEXT_AND_PHOTO)))
# A fictitious citizen; the number is the worked example of GB 11643 (valid check digit).
SAMPLE_CARD_FIELDS = {
    "name": "王秀英",
    "sex": "2",
    "nation": "01",
    "birth_date": "19491231",
    "address": "北京市朝阳区建国路88号",
    "id_number": "11010519491231002X",
    "authority": "北京市公安局朝阳分局",
    "valid_from": "20160101",
    "valid_until": "长期",
}
# Stands in for the 1024-byte WLT photo; holds no preamble, like any real photo would rarely.
SAMPLE_PHOTO = bytes(range(256)) * 4


@dataclass(frozen=True)
class SimulatedCard:
    text: bytes  # the 256-byte text block
    photo: bytes = SAMPLE_PHOTO

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> SimulatedCard:
        return cls(layout_text_block(fields))


SAMPLE_CARD = SimulatedCard.from_fields(SAMPLE_CARD_FIELDS)


def load_cards(path: Path) -> list[SimulatedCard]:
    """The ``[[card]]`` tables of a card file, each field a string as the card stores it."""
    try:
        with open(path, "rb") as f:
            tables = tomllib.load(f).get("card")
        if not isinstance(tables, list) or not tables:
            raise ValueError("it holds no [[card]] table")
        cards = []
        for number, table in enumerate(tables, start=1):
            if not all(isinstance(v, str) for v in table.values()):
                raise ValueError(f"card {number}: write every field as a string, such as nation = \"01\"")
            try:
                cards.append(SimulatedCard.from_fields(table))
            except ValueError as e:
                raise ValueError(f"card {number}: {e}") from None
        return cards
    except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
        raise BadDeviceUrl(f"simidcard card file {str(path)!r}: {e}") from None


class SimulatedIdCardReader:
    """The SAM's side of the wire, with the cards and the faults; tests may also act on it
    while a port is open (``place``, ``lift``)."""

    def __init__(self, cards: Sequence[SimulatedCard] = (SAMPLE_CARD,), *, present: bool = True,
                 loop: bool = False, fault: str | None = None, fault_on: str = "read",
                 fault_times: int | None = None, fault_status: int = sam.SamStatus.SAM_SELF_TEST_FAILED) -> None:
        self.cards = list(cards)
        self.loop = loop
        self.fault = fault
        self.fault_command = FAULT_COMMANDS[fault_on]
        self.faults_left = fault_times  # None: every time
        self.fault_status = fault_status
        self.card: SimulatedCard | None = None  # what lies on the reader
        self.lifted: SimulatedCard | None = None  # the card last taken away, to place again
        self.reads = 0  # cards read through
        self.commands: list[bytes] = []  # CMD PARA of every request, in order
        self._next = 0 if present else len(self.cards)  # absent: the cards wait for place()
        self._found = self._selected = self._halted = False
        self._framer = sam.SamFramer()
        self._place_next()

    def place(self, card: SimulatedCard) -> None:
        self.card = card
        self._found = self._selected = self._halted = False

    def lift(self) -> None:
        if self.card is not None:
            self.lifted = self.card
        self.card = None
        self._found = self._selected = self._halted = False

    def _place_next(self) -> None:
        if self._next >= len(self.cards) and self.loop and self.card is not None:
            self._next = 0
        if self._next < len(self.cards):
            self.place(self.cards[self._next])
            self._next += 1
        else:
            self.lift()

    def receive(self, data: bytes) -> bytes:
        """Take request bytes; return the replies to the requests they completed."""
        self._framer.data_received(data)
        replies = bytearray()
        while self._framer.events:
            event = self._framer.events.popleft()
            if isinstance(event, IdReaderFrameError):
                logger.info("simulated SAM: %s", event)
                status = sam.SamStatus.CHECKSUM_ERROR if event.reason == "checksum" else sam.SamStatus.LENGTH_ERROR
                replies += sam.encode_response(status)
                continue
            request = sam.parse_request(event)  # the framer let through LEN >= 3: CMD PARA are there
            self.commands.append(request.command)
            replies += self._answer(request.command)
        return bytes(replies)

    def _answer(self, command: bytes) -> bytes:
        fault = None
        if self.fault and command == self.fault_command and self.faults_left != 0:
            fault = self.fault
            if self.faults_left is not None:
                self.faults_left -= 1
        if fault == "sam_error":
            return sam.encode_response(self.fault_status)
        if fault == "lifted":
            self.lift()
        reply = self._reply(command)
        if fault == "bad_checksum":
            return reply[:-1] + bytes((reply[-1] ^ 0xFF,))
        if fault == "truncated":
            return reply[: max(sam.HEADER_SIZE + 1, len(reply) // 2)]
        if fault == "silent":
            return b""
        return reply

    def _reply(self, command: bytes) -> bytes:
        if command == sam.SAM_STATUS:
            return sam.encode_response(sam.SamStatus.OK)
        if command == sam.FIND_CARD:
            if self.card is not None and self._halted and (self._next < len(self.cards) or self.loop):
                self._place_next()  # the last citizen took their card; the next one placed theirs
            self._found = self.card is not None and not self._halted
            self._selected = self._selected and self._halted
            return sam.encode_response(sam.SamStatus.CARD_FOUND if self._found else sam.SamStatus.FIND_FAILED)
        if command == sam.SELECT_CARD:
            self._selected = self._found
            return sam.encode_response(sam.SamStatus.OK if self._selected else sam.SamStatus.SELECT_FAILED)
        if command == sam.READ_TEXT_AND_PHOTO:
            if self.card is None or not self._selected:
                return sam.encode_response(sam.SamStatus.READ_FAILED)
            # The card stays selected: a host whose reply was spoilt on the line reads again.
            # It is halted: a new find fails until it is lifted and placed again.
            self._found = False
            self._halted = True
            self.reads += 1
            return sam.encode_response(sam.SamStatus.OK, sam.encode_card_data(self.card.text, self.card.photo))
        return sam.encode_response(sam.SamStatus.BAD_COMMAND)


class Serial(SimulatedPort):
    """The port surface of the simulated reader."""

    @property
    def reader(self) -> SimulatedIdCardReader:
        device = self._device()
        assert isinstance(device, SimulatedIdCardReader)
        return device

    def from_url(self, url: str) -> SimulatedIdCardReader:
        """Build the simulated reader the URL describes, refusing what it does not know."""
        options = simidcard_options(url)
        self.pace_baudrate = options.pop("baudrate", None)  # type: ignore[assignment]
        if "card_file" in options:
            options["cards"] = load_cards(options.pop("card_file"))  # type: ignore[arg-type]
        return SimulatedIdCardReader(**options)  # type: ignore[arg-type]
