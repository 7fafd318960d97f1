"""The uplink: sends what a hall wrote to its parent, in batches, after the last event the
parent acknowledged, for as long as it runs.

- Its one row (`uplink_state`) holds the last acknowledged id; it is written only once the
  parent has answered, so a sender killed at any point sends again what might be lost and
  the parent absorbs what it already has (hall.uplink.receiver). A parent that lost events
  (restored from a backup) answers with its own last id, and the sender goes back to it.
- A parent that does not answer, or answers with an error, is tried again after a pause
  that doubles up to a cap: it retries for ever, and a hall cut off for a day catches up
  when the link returns.
- TLS certificates are always verified; a parent with a private CA is reached with that
  CA's bundle (`ca_bundle`), as kiosks reach their hall. Plain http is taken only on this
  machine's loopback, since the token goes with every request.
- It runs on a thread of its own (`start`), with an engine of its own opened there, so that
  an embedded kiosk's UI thread never waits on it; or in the foreground (`run`) as
  `python -m hall uplink`.
- A parent relays (`relay=True`) what its halls sent it, each event with the hall it came
  from, by its own order of receipt; a hall sends its own event log.
- Its hall definition goes up first, and again whenever it changes.
- A hall's batch names the last of the parent's steps it applied to the cases it sent up;
  the answer carries those that followed, which it applies in the transaction that writes
  the answer down (hall.uplink.down). While such a case is open it asks every few seconds,
  events or none, so that the citizen sees a step soon after it was taken.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from hall import events
from hall.errors import HallError
from hall.matters.cases import LINK_PURPOSE
from hall.matters.catalogue import load_catalogue
from hall.matters.supervision import load_supervision
from hall.models import ChildHall, MatterCase, ReceivedEvent, UplinkState
from hall.spec import HallSpec
from hall.uplink import down
from hall.uplink.receiver import definition_digest
from hall.uplink.wire import DownStep, UplinkAck, wire_event

log = logging.getLogger(__name__)

API = "/api/v1/uplink"
BATCH = 500                 # events asked of the database per round
MAX_BODY = 60_000           # bytes per request: the parent's server takes up to 64 KiB
POLL_SECONDS = 1.0          # how often an idle sender looks for new events
HEARTBEAT_SECONDS = 30.0    # an empty batch after this long without one: the parent sees the hall live
STEPS_SECONDS = 5.0         # ... or this long, while a case sent up is open: its steps come back with the answer
BACKOFF_FIRST = 1.0
BACKOFF_CAP = 60.0
TIMEOUT = (5.0, 30.0)       # connect, read
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class UplinkError(HallError):
    """A parent that cannot be used as configured, or that refused what was sent."""


def check_parent(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UplinkError(f"--parent {url!r}: use the parent server's https address, such as https://county.example.gov.cn")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise UplinkError(f"--parent {url!r}: use https; the uplink token must not cross the network in clear")
    return url.rstrip("/")


def backoff(failures: int, *, first: float = BACKOFF_FIRST, cap: float = BACKOFF_CAP) -> float:
    """The pause after this many failures in a row: doubling from `first` up to `cap`, with a
    tenth of jitter so that the halls of a county do not all come back at the same instant."""
    pause = min(cap, first * 2 ** max(0, failures - 1))
    return pause * random.uniform(0.9, 1.0)


class Uplink:
    def __init__(self, spec: HallSpec, database_url: str, *, hall_file: Path | str, parent: str, token: str,
                 ca_bundle: str | None = None, public_url: str | None = None, relay: bool = False, batch: int = BATCH,
                 poll: float = POLL_SECONDS, heartbeat: float = HEARTBEAT_SECONDS, backoff_cap: float = BACKOFF_CAP,
                 clock: Callable[[], datetime] | None = None):
        self.spec = spec
        # What applying the parent's steps to the cases sent up needs: the checklists, the
        # channels that tell citizens, and where their progress pages are.
        self._catalogue = load_catalogue(hall_file, spec)
        self._citizen_channels = load_supervision(hall_file).citizen_channels
        self._public_url = public_url.rstrip("/") if public_url else ""
        self.hall_id = spec.hall.id
        self.parent = check_parent(parent)
        self._url = database_url
        self._relay = relay
        self._batch = batch
        self._poll = poll
        self._heartbeat = heartbeat
        self._backoff_cap = backoff_cap
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._http = requests.Session()
        self._http.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "hall-uplink"})
        self._verify: str | bool = ca_bundle or True  # per request: REQUESTS_CA_BUNDLE overrides a session's own
        self._definition = spec.model_dump(mode="json")
        self._definition_digest = definition_digest(self._definition)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_heartbeat = 0.0
        self._halls_sent_at: datetime | None = None
        self.engine = None

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="hall-uplink", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Sends until stopped; every failure waits its back-off and tries again."""
        from hall.queue import QueueEngine  # loaded here: on a kiosk, off the UI thread

        failures = 0
        while self.engine is None and not self._stopping.is_set():
            try:
                self.engine = QueueEngine(self.spec, self._url, clock=self._clock)
            except (DBAPIError, HallError) as exc:
                failures += 1
                log.error("uplink: the hall's database cannot be opened: %s", exc)
                self._stopping.wait(backoff(failures, cap=self._backoff_cap))
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    more = self.send_once()
                    failures = 0
                except (requests.RequestException, UplinkError, DBAPIError) as exc:
                    failures += 1
                    pause = backoff(failures, cap=self._backoff_cap)
                    log.warning("uplink to %s: %s; trying again in %.1f s", self.parent, exc, pause)
                    self._stopping.wait(pause)
                    continue
                except Exception:  # the sender must outlive what it did not foresee, and say so
                    failures += 1
                    pause = backoff(failures, cap=self._backoff_cap)
                    log.exception("uplink to %s failed; trying again in %.1f s", self.parent, pause)
                    self._stopping.wait(pause)
                    continue
                if not more:
                    self._stopping.wait(self._poll)
        finally:
            if self.engine is not None:
                self.engine.close()

    def send_once(self) -> bool:
        """One round: the definition if it changed, then one batch (or a heartbeat when one is
        due). True if more may be waiting."""
        acked, sent_definition, steps_after = self._state()
        if sent_definition != self._definition_digest:
            self._send_definition()
        found = self._events_after(acked)
        if not found and time.monotonic() < self._next_heartbeat:
            return False
        body, sent = self._body(acked, found, steps_after)
        answer = self._http.post(f"{self.parent}{API}/events", data=body, timeout=TIMEOUT, verify=self._verify,
                                 headers={"Content-Type": "application/json"})
        if answer.status_code == 200:
            try:
                ack = UplinkAck.model_validate_json(answer.content)
            except ValidationError as exc:
                raise UplinkError(f"the parent's answer does not parse: {exc.errors()[0]['msg']}") from None
            waiting = self._save(acked=ack.acked, steps=ack.steps, steps_after=steps_after)
            pause = 0.0 if ack.more_steps else min(self._heartbeat, STEPS_SECONDS) if waiting else self._heartbeat
            self._next_heartbeat = time.monotonic() + pause
            if self._relay:
                self._halls_sent_at = self._sent_from
            return sent < len(found) or len(found) == self._batch or ack.more_steps
        parent_acked = answer.headers.get("Uplink-Acked")
        if answer.status_code == 409 and parent_acked is not None and parent_acked.isdigit():
            log.warning("uplink: the parent has events up to %s only; sending again from there", parent_acked)
            self._save(acked=int(parent_acked))
            return True
        raise UplinkError(f"HTTP {answer.status_code}: {_reason(answer)}")

    # -- what goes up ----------------------------------------------------------------------

    def _events_after(self, acked: int) -> list[dict]:
        with self.engine.reading() as session:
            if not self._relay:
                zone = self.spec.zone
                return [wire_event(seq=e.id, origin=self.hall_id, event_id=e.id, kind=e.kind, at=e.at,
                                   day=e.at.astimezone(zone).date(), counter=e.counter, ticket=e.ticket_id,
                                   payload=e.payload)
                        for e in events.events_after(session, hall_id=self.hall_id, after=acked, limit=self._batch)]
            rows = session.scalars(select(ReceivedEvent).where(ReceivedEvent.id > acked)
                                   .order_by(ReceivedEvent.id).limit(self._batch))
            return [wire_event(seq=r.id, origin=r.origin, event_id=r.origin_id, kind=r.kind, at=r.at, day=r.day,
                               counter=r.counter, ticket=r.ticket_id, payload=json.loads(r.payload))
                    for r in rows]

    def _halls(self, found: list[dict]) -> dict:
        """For a relay: the halls its events came from, and those heard since the last batch
        (so that the parent above sees a quiet hall live, or silent)."""
        self._sent_from = self._clock()
        named = {e["origin"] for e in found}
        query = select(ChildHall)
        if self._halls_sent_at is not None:  # else all of them: the parent above may have missed any
            since = self._halls_sent_at - timedelta(seconds=5)
            query = query.where(ChildHall.hall_id.in_(named) | (ChildHall.heard_at >= since))
        with self.engine.reading() as session:
            rows = session.scalars(query)
            return {r.hall_id: {"name": r.name, "region": r.region,
                                "heard_at": r.heard_at.isoformat() if r.heard_at else None}
                    for r in rows if r.hall_id != self.hall_id}

    def _body(self, acked: int, found: list[dict], steps_after: int) -> tuple[bytes, int]:
        """The request for as many of the events as fit in one (halved until they do)."""
        count = len(found)
        while True:
            batch = found[:count]
            halls = self._halls(batch) if self._relay else {}
            sent = {"hall": self.hall_id, "after": acked, "events": batch, "halls": halls}
            if not self._relay:  # a relay's own cases are not what it sends
                sent["steps_after"] = steps_after
            body = json.dumps(sent, ensure_ascii=False, separators=(",", ":")).encode()
            if len(body) <= MAX_BODY or count <= 1:
                return body, count
            count //= 2

    def _send_definition(self) -> None:
        answer = self._http.put(f"{self.parent}{API}/definition", json={"hall": self.hall_id,
                                                                        "definition": self._definition},
                                timeout=TIMEOUT, verify=self._verify)
        if answer.status_code != 200:
            raise UplinkError(f"the hall definition was refused: HTTP {answer.status_code}: {_reason(answer)}")
        with self.engine.transaction() as session:
            self._row(session).definition_digest = self._definition_digest

    # -- its one row ---------------------------------------------------------------------------

    def _state(self) -> tuple[int, str, int]:
        with self.engine.reading() as session:
            row = session.get(UplinkState, self.hall_id)
            return (row.acked, row.definition_digest, row.steps_applied) if row is not None else (0, "", 0)

    def _save(self, *, acked: int, steps: list[DownStep] = (), steps_after: int | None = None) -> bool:
        """Writes the answer down, with the parent's steps applied in the same transaction;
        True while a case sent up is still open here."""
        with self.engine.transaction() as session:
            row = self._row(session)
            row.acked, row.updated_at = acked, self._clock()
            if steps_after is not None and steps_after == row.steps_applied:  # else another sender applied them
                row.steps_applied = down.apply(session, spec=self.spec, catalogue=self._catalogue, steps=steps,
                                               applied=row.steps_applied, citizen_channels=self._citizen_channels,
                                               progress=self._progress)
            if self._relay:
                return False
            return session.scalar(select(MatterCase.id).where(
                MatterCase.hall_id == self.hall_id, MatterCase.referred, MatterCase.closed_at.is_(None))
                .limit(1)) is not None

    def _progress(self, case_id: int) -> str:
        """The case's progress page for the citizen's notice, at the hall server's public
        address; an embedded station has no page to give."""
        if not self._public_url:
            return ""
        return f"{self._public_url}/m/{self.engine.signer.sign(LINK_PURPOSE, str(case_id))}"

    def _row(self, session) -> UplinkState:
        row = session.get(UplinkState, self.hall_id, with_for_update=True)
        if row is None:
            row = UplinkState(hall_id=self.hall_id, acked=0, definition_digest="")
            session.add(row)
        return row


def _reason(answer: requests.Response) -> str:
    try:
        found = answer.json()
        return f"{found.get('error', '')}: {found.get('message', '')}"
    except ValueError:
        return answer.text[:200]
