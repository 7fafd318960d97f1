"""The embedded hall: the queue engine in this process on a local database, the default.

The engine, and SQLAlchemy with it (over a second of imports on a kiosk's CPU), is loaded on
first use, so that the home screen is up before it; the flow's warm-up loads it right after.
The key behind person hashes lives in its own file beside the database, made with mode 0600
at that first use, never in the database (hall.person_keys). The hall's housekeeping runs on
the first ticket of each day. Its catalogue of matters (the guides) is read from the folder
beside its hall.toml by the server's own code, on first use.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hall.spec import HallSpec
from hall.tickets import PersonTickets, Priority, ServiceStatus, TicketInfo
from kiosk.hall_client import Hall, HallUnavailable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hall.matters.catalogue import Catalogue
    from hall.matters.schemas import MatterProgressPublic, MatterPublic
    from hall.person_keys import PersonKeys
    from hall.queue import QueueEngine
    from hall.schemas import RatingReceipt, RatingStatusPublic

log = logging.getLogger(__name__)
T = TypeVar("T")


class EmbeddedHall(Hall):
    def __init__(self, spec: HallSpec, database_url: str, *, person_key_file: Path, hall_file: Path | None = None,
                 clock: Callable[[], datetime] | None = None):
        """`hall_file` is the hall.toml whose folder `matters/` holds the catalogue; none: no guides."""
        self._spec = spec
        self._hall_file = hall_file
        self._catalogue: Catalogue | None = None
        self._url = database_url
        self._key_file = person_key_file
        self._clock = clock or _utcnow
        self._engine: QueueEngine | None = None
        self._person_keys: PersonKeys | None = None
        self._tidied_on: date | None = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def spec(self) -> HallSpec:
        return self._spec

    def services_status(self) -> list[ServiceStatus]:
        return self._guard(lambda q: q.services_status())

    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL, person_hash: str | None = None,
                     age: int | None = None, idempotency_key: str | None = None) -> TicketInfo:
        def issue(q: QueueEngine) -> TicketInfo:
            return q.issue_ticket(service, priority=priority, person_hash=person_hash, age=age)
        request = ("issue", service, Priority(priority).value, person_hash or "", "" if age is None else str(age))
        return self._guard(lambda q: _once(self._tidy(q), idempotency_key, request, issue))

    def check_in(self, code: str, *, idempotency_key: str | None = None) -> TicketInfo:
        return self._guard(lambda q: _once(q, idempotency_key, ("check-in", code), lambda q: q.check_in(code)))

    def ticket(self, ticket_id: int) -> TicketInfo:
        return self._guard(lambda q: q.ticket(ticket_id))

    def ticket_by_link(self, token: str) -> TicketInfo:
        return self._guard(lambda q: q.ticket_by_token(token))

    def ticket_by_number(self, number: str) -> TicketInfo:
        return self._guard(lambda q: q.ticket_by_number(number))

    def person_tickets(self, person_hash: str) -> PersonTickets:
        return self._guard(lambda q: q.person_tickets(person_hash))

    def person_salt(self) -> bytes:
        return self._guard(lambda _q: self._person_keys.today(self._clock())[1])

    def catalogue(self) -> list[MatterPublic]:
        """In the order the hall server gives it (hall.api.routes.catalogue)."""
        from hall.matters.schemas import MatterPublic

        return [MatterPublic.of(entry) for entry in sorted(self._entries().entries, key=lambda e: e.matter.service)]

    def case_salt(self) -> bytes:
        return self._guard(lambda _q: self._person_keys.for_matters())

    def case_by_link(self, token: str) -> MatterProgressPublic:
        from hall.matters import cases

        def find(q: QueueEngine) -> MatterProgressPublic:
            with q.reading() as session:
                return self._progress(cases.case_by_token(session, spec=self._spec, signer=q.signer, token=token))
        return self._guard(find)

    def cases_of_person(self, case_hash: str) -> list[MatterProgressPublic]:
        from hall.matters import cases

        def find(q: QueueEngine) -> list[MatterProgressPublic]:
            with q.reading() as session:
                return [self._progress(case)
                        for case in cases.cases_of_person(session, spec=self._spec, person_hash=case_hash)]
        return self._guard(find)

    def _progress(self, case) -> MatterProgressPublic:
        """A case as the hall server's route shows it (hall.api.routes.matter_progress)."""
        from hall.matters import cases
        from hall.matters.schemas import MatterProgressPublic

        today = self._clock().astimezone(self._spec.zone).date()
        return MatterProgressPublic.of(case, entry=self._entries().entry(case.matter_code),
                                       due=cases.due_now(case, spec=self._spec, today=today),
                                       received=cases.received(case), zone=self._spec.zone)

    def _entries(self) -> Catalogue:
        """The catalogue, read once."""
        from hall.matters.catalogue import Catalogue, CatalogueError, load_catalogue

        with self._lock:
            if self._catalogue is None:
                try:
                    self._catalogue = (load_catalogue(self._hall_file, self._spec) if self._hall_file
                                       else Catalogue(departments=(), entries=()))
                except (CatalogueError, OSError) as exc:
                    log.error("the hall's catalogue of matters cannot be read: %s", exc)
                    raise HallUnavailable(f"the catalogue of matters cannot be read: {exc}") from exc
            return self._catalogue

    def guide_link(self, code: str) -> str | None:
        return None

    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        self._guard(lambda q: q.report_device(device_id, kind, status, detail))

    def rating_status(self, ticket_id: int) -> RatingStatusPublic:
        from hall.ratings import records
        from hall.schemas import RatingStatusPublic

        def status(q: QueueEngine) -> RatingStatusPublic:
            with q.reading() as session:
                return RatingStatusPublic.of(records.status(session, spec=self._spec, ticket_id=ticket_id))
        return self._guard(status)

    def rate(self, ticket_id: int, level: int, *, reasons: list[str], idempotency_key: str) -> RatingReceipt:
        """Written by the engine as the hall server writes it (hall.ratings.records), the
        ticket's completion written down with it where the engine completed it."""
        from hall.idempotency import KeyReused
        from hall.ratings import records
        from hall.ratings.terms import Channel, RatingRefusal, RatingRefused, RatingState
        from hall.schemas import RatingReceipt

        def write(session: Session) -> str:
            rating = records.rate(session, spec=self._spec, ticket_id=ticket_id, level=level, reasons=reasons,
                                  comment="", channel=Channel.KIOSK, identified=False, now=self._clock())
            return RatingReceipt(ticket_id=rating.ticket_id, state=RatingState.RATED, channel=Channel.KIOSK,
                                 rated_at=rating.rated_at).model_dump_json()
        request = ("rate", str(ticket_id), str(level), ",".join(reasons))
        try:
            answer = self._guard(lambda q: _written_once(q, idempotency_key, request, write))
        except KeyReused as exc:
            raise RatingRefused(RatingRefusal.ALREADY_RATED, str(exc)) from exc
        return RatingReceipt.model_validate_json(answer)

    def close(self) -> None:
        """For good: a job still running when the kiosk stops gets HallUnavailable rather than
        opening the database again behind the shutdown."""
        with self._lock:
            self._closed = True
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def _guard(self, call: Callable[[QueueEngine], T]) -> T:
        """A full disk or a locked file must reach the citizen as "ask at the desk",
        not as a frozen screen."""
        from sqlalchemy.exc import SQLAlchemyError  # loaded with the engine, see the module's docstring

        from hall.person_keys import PersonKeyError

        try:
            return call(self._queue())
        except (SQLAlchemyError, OSError) as exc:
            log.error("hall database %s failed: %s", self._url, exc)
            raise HallUnavailable(str(exc)) from exc
        except PersonKeyError as exc:
            log.error("%s", exc)
            raise HallUnavailable(str(exc)) from exc

    def _queue(self) -> QueueEngine:
        with self._lock:
            if self._closed:
                raise HallUnavailable("the hall is closed: the kiosk is stopping")
            if self._person_keys is None:
                from hall.person_keys import open_keys
                self._person_keys = open_keys(self._key_file, hall_id=self._spec.hall.id, zone=self._spec.zone)
            if self._engine is None:
                from hall.queue import QueueEngine
                self._engine = QueueEngine(self._spec, self._url, clock=self._clock)
            return self._engine

    def _tidy(self, queue: QueueEngine) -> QueueEngine:
        """The hall's housekeeping, once a day: a village kiosk may run for weeks."""
        now = self._clock()
        today = now.astimezone(self._spec.zone).date()
        if self._tidied_on != today:
            from hall import housekeeping
            housekeeping.tidy(queue, now=now)
            self._tidied_on = today
        return queue


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _once(queue: QueueEngine, key: str | None, request: tuple[str, ...],
          write: Callable[[QueueEngine], TicketInfo]) -> TicketInfo:
    """The hall server's idempotent write of a ticket, in-process."""
    if key is None:
        return write(queue)
    from hall.schemas import TicketPublic

    answer = _written_once(queue, key, request, lambda _session: TicketPublic.of(write(queue)).model_dump_json())
    return TicketPublic.model_validate_json(answer).info()


def _written_once(queue: QueueEngine, key: str, request: tuple[str, ...], write: Callable[[Session], str]) -> str:
    """The hall server's idempotent write, in-process: key and answer (as text) in one
    transaction with the change."""
    from hall import idempotency

    answer, _ = idempotency.once(queue, hall_id=queue.spec.hall.id, principal="embedded", key=key,
                                 request=idempotency.fingerprint(*request), write=write,
                                 now=lambda: datetime.now(timezone.utc))
    return answer
