"""What every request of the hall server works with: the hall, its engine and database,
the clock, the signer, the person keys, the reader of the event log
that the live streams share, and what bounds logins."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from hall import accounts, idempotency
from hall.api.event_feed import EventFeed
from hall.api.login_limits import PasswordChecks, SourceFailures
from hall.matters.catalogue import load_catalogue
from hall.matters.supervision import load_supervision
from hall.person_keys import PersonKeyError, PersonKeys, open_keys
from hall.queue import QueueEngine
from hall.settings import ServerSettings
from hall.spec import load_hall

TOKEN_CACHE_SECONDS = 10.0  # a replaced device token keeps working at most this long


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class HallServer:
    def __init__(self, settings: ServerSettings, *, clock: Callable[[], datetime] | None = None):
        self.settings = settings
        settings.prepare_data_dir()  # its announcements, and on SQLite its database
        self.spec = load_hall(settings.hall_file)
        self.catalogue = load_catalogue(settings.hall_file, self.spec)
        self.supervision = load_supervision(settings.hall_file)
        self.hall_id = self.spec.hall.id
        self.clock = clock or utcnow
        # A key file there is checked before the database is touched; a missing one is made
        # only once the database answered, so a server that cannot reach it leaves nothing.
        keys = settings.person_key_path.exists()
        if keys:
            self.person_keys: PersonKeys = open_keys(settings.person_key_path, hall_id=self.hall_id,
                                                     zone=self.spec.zone)
        self.engine = QueueEngine(self.spec, settings.database_url, clock=self.clock)
        if not keys:
            try:
                self.person_keys = open_keys(settings.person_key_path, hall_id=self.hall_id, zone=self.spec.zone)
            except PersonKeyError:
                self.engine.close()
                raise
        self.signer = self.engine.signer
        self.offline_after = timedelta(seconds=settings.offline_after)
        self.started = self.clock()
        self.feed = EventFeed(self.engine, hall_id=self.hall_id, database_url=settings.database_url)
        self._tokens: dict[str, tuple[float, tuple[str, str] | None]] = {}
        self.password_checks = PasswordChecks()
        self.login_sources = SourceFailures()

    def known_token(self, token: str) -> tuple[str, str] | bool | None:
        """(device id, kind) of a device token seen in the last few seconds, False if it
        was found unknown then, None if not seen: every request of a terminal carries its
        token, and reading it each time would cost a transaction."""
        cached = self._tokens.get(accounts.digest(token))
        if cached is None or cached[0] <= time.monotonic():
            return None
        return cached[1] or False

    def device_for_token(self, token: str) -> tuple[str, str] | bool:
        with self.engine.reading() as session:
            device = accounts.device_for_token(session, hall_id=self.hall_id, token=token)
            found = (device.device_id, device.kind) if device is not None else None
        if len(self._tokens) > 10_000:  # someone trying tokens: forget rather than grow
            self._tokens.clear()
        self._tokens[accounts.digest(token)] = (time.monotonic() + TOKEN_CACHE_SECONDS, found)
        return found or False

    def close(self) -> None:
        self.password_checks.close()
        self.engine.close()

    def write(self, request: Request, *, principal: str, key: str | None, body: str,
              write: Callable[[Session], str], show: Callable[[str], str] | None = None,
              first: bool = False, status_code: int = 200) -> Response:
        """Runs a write once per idempotency key and answers with its JSON; a replay is
        marked with the header Idempotent-Replayed. With `show`, what `write` returns is
        what is stored, and the answer is made from it after the commit, the first time and
        on every replay: for what is read as the hall moves on, outside the writers' turn. With
        `first`, the write goes before those waiting for their turn (a counter's operation)."""
        fingerprint = idempotency.fingerprint(request.method, request.url.path, body)
        answer, replayed = idempotency.once(self.engine, hall_id=self.hall_id, principal=principal, key=key,
                                            request=fingerprint, write=write, now=self.clock, first=first)
        if not replayed:
            self.feed.ring()
        if show is not None:
            answer = show(answer)
        return Response(answer, status_code=status_code, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"} if replayed else None)

    def ticket_link(self, request: Request, ticket_id: int) -> str:
        """The ticket's public address (the phone page), signed so that it cannot be guessed."""
        base = self.settings.public_url or str(request.base_url).rstrip("/")
        return f"{base}/t/{self.engine.ticket_token(ticket_id)}"

    def case_link(self, request: Request, case_id: int) -> str:
        """A matter case's progress page (/m/TOKEN: its receipt's QR code), signed likewise."""
        from hall.matters.cases import LINK_PURPOSE

        base = self.settings.public_url or str(request.base_url).rstrip("/")
        return f"{base}/m/{self.signer.sign(LINK_PURPOSE, str(case_id))}"
