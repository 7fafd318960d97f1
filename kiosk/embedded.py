"""The embedded hall: the queue engine in this process on a local database, the default."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from hall.queue import Priority, QueueEngine, ServiceStatus, TicketInfo
from hall.spec import HallSpec
from kiosk.hall_client import Hall, HallUnavailable

log = logging.getLogger(__name__)


class EmbeddedHall(Hall):
    def __init__(self, spec: HallSpec, database_url: str, *,
                 clock: Callable[[], datetime] | None = None):
        self._spec = spec
        try:
            self._engine = QueueEngine(spec, database_url, clock=clock)
        except SQLAlchemyError as exc:
            raise HallUnavailable(f"cannot open the hall database {database_url}: {exc}") from exc

    @property
    def spec(self) -> HallSpec:
        return self._spec

    def services_status(self) -> list[ServiceStatus]:
        return self._guard(self._engine.services_status)

    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL,
                     person_hash: str | None = None) -> TicketInfo:
        return self._guard(lambda: self._engine.issue_ticket(service, priority=priority,
                                                             person_hash=person_hash))

    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        self._guard(lambda: self._engine.report_device(device_id, kind, status, detail))

    def close(self) -> None:
        self._engine.close()

    @staticmethod
    def _guard(call):
        """A full disk or a locked file must reach the citizen as "ask at the desk",
        not as a frozen screen."""
        try:
            return call()
        except SQLAlchemyError as exc:
            log.error("hall database failed: %s", exc)
            raise HallUnavailable(str(exc)) from exc
