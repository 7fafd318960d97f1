"""A kiosk with its devices for the identification tests: the flow on a hall, the simulated ID
card reader watched on its own thread, the simulated serial scanner, and the printer spooling
to a folder; what the devices post comes to the test's thread, as to the app's clock."""
from __future__ import annotations

import queue
import time
from datetime import date, time as day_time

from devices.scanner import REPEAT_SECONDS
from devices.urlhandler.protocol_simidcard import SimulatedCard
from hall.booking_codes import BOOKING_PURPOSE, make_booking_code
from hall.queue import QueueEngine
from hall.spec import load_hall
from kiosk.flow import TicketFlow
from kiosk.inputs import Inputs
from kiosk.printing import TicketPrinterService
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.devices.idcards import card_fields
from tests.support.waiting import until

# A fictitious citizen of 75 on the test's day, and what of them must never be written.
ELDER = card_fields(name="𠮷祥云", birth_date="19510301", address="北京市朝阳区建国路甲88号院7号楼")
ELDER_SECRETS = ("𠮷祥云", "祥云", "建国路甲88号", "7号楼", ELDER["id_number"], ELDER["id_number"][:17])
YOUNG = card_fields(name="欧阳娜", birth_date="19900307", address="天津市和平区南京路12号")


class Kiosk:
    def __init__(self, settings, hall, clock, *, listener=None, monotonic=time.monotonic):
        self.settings = settings
        self.spool = settings.data_dir / "printer"
        self.printer = TicketPrinterService(settings.devices.printer, spool_dir=self.spool, timeout=0.5)
        self.flow = TicketFlow(hall, self.printer, terminal_id="k1", now=clock, listener=listener,
                               monotonic=monotonic)
        self.posted: queue.Queue = queue.Queue()
        self.most_waiting = 0  # the longest the queue of posted calls has been
        self.inputs = Inputs(settings, self.flow, self._post).start()
        self.inputs.card_watch.open_reader()
        self.inputs.scanner.open()  # as its thread does, at once: the simulated scanner is there to scan into

    def _post(self, call) -> None:
        self.posted.put(call)
        self.most_waiting = max(self.most_waiting, self.posted.qsize())

    def run_posted(self) -> None:
        """Runs what the devices posted so far, on this thread."""
        while True:
            try:
                self.posted.get(timeout=0.05)()
            except queue.Empty:
                return

    @property
    def reader(self):
        return self.inputs.card_watch.reader.port.reader  # the simulated SAM behind the port

    def place(self, fields: dict[str, str]) -> None:
        self.reader.place(SimulatedCard.from_fields(fields))

    def scan(self, text: str) -> None:
        """Scans as a person does: the same code again no sooner than the scanner takes it as
        a new scan (devices.scanner.REPEAT_SECONDS), however fast the kiosk answered."""
        time.sleep(REPEAT_SECONDS)
        self.inputs.scanner.port.scanner.scan(text)

    def until(self, predicate, seconds: float = 10.0) -> None:
        """Runs what the devices posted, on this thread, until `predicate` holds."""
        def ran_until() -> bool:
            if predicate():
                return True
            try:
                self.posted.get(timeout=0.05)()
            except queue.Empty:
                pass
            return False
        until(ran_until, seconds=seconds, every=0, what=lambda: f"the kiosk to get there; it is in {self.flow.state}")

    def close(self) -> None:
        self.inputs.close()
        self.printer.close()


def booking_code(database_url: str, booking_id: str, *, day: date = OPEN_MORNING.date(),
                 window=(day_time(9), day_time(9, 30)), key: bytes | None = None, service: str = "household") -> str:
    """A code as the hall's booking service makes it, with the key python -m hall booking-key gives."""
    if key is None:
        engine = QueueEngine(load_hall(SAMPLE_HALL), database_url)
        key = engine.signer.key_for(BOOKING_PURPOSE)
        engine.close()
    return make_booking_code(key, hall_id="chengguan", booking_id=booking_id, service=service, day=day,
                             window_start=window[0], window_end=window[1])
