"""The keypad bridge as a process of its own (``python main.py keypad-bridge --config FILE``):
no screen, one line of rating keypads, and the hall server it serves like any terminal.

- It learns of the counters' work from the hall's live events (kiosk.live_events): a ticket
  completed at a counter prompts that counter's keypad, the counter's next call (``called``,
  ``called_back``) ends the prompt.
- A press is a rating put into the bridge's outbox (kiosk.outbox, through the remote hall)
  with the transaction's idempotency key, and delivered when the hall can take it: a rating
  given while the server is down, or just before the bridge is killed, arrives once later.
  A rating the hall refuses (its prompt ended meanwhile) is set aside with a log line.
- A prompt that ends unanswered is not posted: the server ends the counter's prompt by itself
  at its next call or when its time is up, and records the transaction as not rated.
- Each keypad's health (ok, offline) is reported as a part of the bridge, BRIDGE_ID/counter-N,
  and the remote hall's heartbeat tells the hall that the bridge lives.

Exit codes as main.py's: 0 stopped (SIGTERM, SIGINT), 1 the hall or the line cannot be
reached at start, 2 the configuration must be fixed.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import requests
from pydantic import Field, field_validator, model_validator

from devices.errors import KeypadUnavailable
from devices.keypad import KeypadStatus
from hall.configfile import ConfigError, Strict, load_model
from hall.tickets import EventKind
from kiosk.config import OptionalPathText, PathText, check_hall_link, hall_server_url
from kiosk.hall_client import HallUnavailable
from kiosk.keypad_bridge import BridgeConfig, KeypadBridge, RatingSubmission
from kiosk.live_events import LiveEvent, LiveEvents
from kiosk.remote import RemoteHall

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "keypads.toml"
CALLS = frozenset({EventKind.CALLED.value, EventKind.CALLED_BACK.value})
PART_KIND = "rating_keypad"


class BridgeSection(Strict):
    """Who the bridge is to its hall: named as the [terminal] of a kiosk names the same things."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
                    description="the device id given to python -m hall add-device ID --kind keypad_bridge")
    hall: str = Field(description="the hall server's URL")
    hall_token: str = Field("", max_length=200, description="the token python -m hall add-device printed")
    hall_ca: OptionalPathText = Field("", max_length=500, description="a CA bundle for a hall server whose "
                                                                      "certificate a private CA signed; relative to this file")
    data_dir: PathText = Field("../data/keypad-bridge", description="the bridge's outbox and the hall's definition "
                                                                    "kept for a start without the server; relative to this file")

    @field_validator("hall")
    @classmethod
    def _hall(cls, value: str) -> str:
        return hall_server_url(value)

    @model_validator(mode="after")
    def _link(self) -> BridgeSection:
        check_hall_link(self.hall, self.hall_token)
        return self


class BridgeProcessConfig(BridgeConfig):
    bridge: BridgeSection


class BridgeProcess:
    """The bridge's parts put together: ``start()``, then ``close()``."""

    def __init__(self, config: BridgeProcessConfig, folder: Path) -> None:
        b = config.bridge
        self.id = b.id
        self.data_dir = (folder / Path(b.data_dir).expanduser()).resolve()
        ca_bundle = str((folder / b.hall_ca).resolve()) if b.hall_ca else None
        self.hall = RemoteHall(b.hall, b.hall_token, data_dir=self.data_dir, ca_bundle=ca_bundle)
        http = requests.Session()
        http.verify = ca_bundle or True
        self.bridge = KeypadBridge(config, on_rating=self._rated, on_keypad_status=self._keypad_status)
        self.events = LiveEvents(b.hall, b.hall_token, on_event=self._event, session=http)
        unknown = sorted(set(config.counters.values()) - {c.id for c in self.hall.spec.counters})
        if unknown:
            log.warning("the hall %s has no counter %s: their keypads will never be prompted", b.hall,
                        ", ".join(unknown))

    def start(self) -> BridgeProcess:
        """Raises KeypadUnavailable when the line cannot be opened now."""
        self.bridge.start()
        self.events.start()
        return self

    def close(self) -> None:
        self.events.close()
        self.bridge.close()
        self.hall.close()

    def _event(self, event: LiveEvent) -> None:
        if event.kind != EventKind.COMPLETED.value and event.kind not in CALLS:
            return
        ticket = event.data.get("payload", {}).get("ticket")
        counter = event.data.get("counter")
        if not (isinstance(ticket, dict) and isinstance(ticket.get("id"), int) and isinstance(counter, str)):
            log.warning("event %d (%s) names no ticket and counter; ignored", event.id, event.kind)
            return
        number = str(ticket.get("number", ""))
        if event.kind == EventKind.COMPLETED.value:
            self.bridge.completed(counter, ticket["id"], number)
        else:
            self.bridge.called(counter, ticket["id"], number)

    def _rated(self, rating: RatingSubmission) -> None:
        self.hall.report_rating(rating.ticket_id, rating.level, idempotency_key=rating.key)

    def _keypad_status(self, counter: str, status: KeypadStatus, detail: str) -> None:
        self.hall.report_device(f"{self.id}/counter-{counter}", PART_KIND, status.value, detail)


def load_process_config(path: Path | str | None) -> tuple[BridgeProcessConfig, Path]:
    path = Path(path or DEFAULT_CONFIG).resolve()
    return load_model(BridgeProcessConfig, path), path


def run_bridge(path: Path | str | None) -> int:
    """Runs the bridge until SIGTERM or SIGINT."""
    try:
        config, path = load_process_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        process = BridgeProcess(config, path.parent)
    except HallUnavailable as exc:
        print(f"cannot start the keypad bridge: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        process.start()
    except KeypadUnavailable as exc:
        print(f"cannot start the keypad bridge: {exc}", file=sys.stderr)
        process.close()
        return 1
    log.info("keypad bridge %s: hall %s, line %s, keypads %s", config.bridge.id, config.bridge.hall,
             config.line.url, ", ".join(f"{a}→counter {c}" for a, c in config.counters.items()))
    stop.wait()
    log.info("keypad bridge %s stopping", config.bridge.id)
    process.close()
    return 0
