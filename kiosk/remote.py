"""The remote hall: the Hall interface over HTTP to the hall server (requests).

- Every call has one deadline, retries included (DEADLINE: a citizen at 正在出号 hears within
  5 s whatever the hall does); each attempt's timeouts are cut to what is left of it.
- urllib3's Retry under requests retries, with back-off and the server's Retry-After, only
  where a retry cannot do a thing twice: reads, connections never made, and writes carrying
  an idempotency key (a ticket's key is made once per issue and sent by each retry, so a lost
  answer never costs a second number).
- TLS certificates are always verified; a hall with its own CA names its bundle (hall_ca).
- The hall's definition is kept on disk after each successful fetch, so a kiosk started
  while the server is down comes up with its hall's name and services and says that tickets
  are paused; it never invents a number.
- What a screen asks for while the citizen waits (the services' queues) is asked once, with
  short timeouts, and not at all for a few seconds after the server failed to answer: the
  background thread keeps trying and the screen says at once that tickets are paused.
- A help call (呼叫工作人员) is raised with an idempotency key, so a retry raises no second
  alert; the kiosk then asks after it, once and briefly, until a staff member has taken it.
- Reports (device status, a rating given at a counter or a keypad, a phone number left at a
  counter for the hall's call-back, what came of a receipt printed at a counter) go into the
  terminal's outbox and are delivered, each once and by its kind, by a background thread
  that also sends the heartbeat the hall uses to see that the kiosk lives. One the hall
  refuses for good is logged and set aside with the reason, and the rest go on. A rating
  says on delivery how long ago it was given (its age in the outbox, on the terminal's own
  clock, so that clock need not agree with the hall's): the hall takes a rating given
  within the counter's prompt even when it arrives after the prompt ended.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util import Retry, Timeout

from hall.booking_codes import BadBookingCode, parse_booking_code
from hall.errors import EarlierTicket, HelpCallNotFound, RefusalReason, TicketNotFound, TicketRefused
from hall.ratings.terms import RatingRefusal, RatingRefused
from hall.schemas import (MAX_GIVEN_SECONDS_AGO, CounterTerminalPublic, EarlierTicketPublic, HelpCallPublic,
                          PersonSaltPublic, PersonTicketsPublic, RatingReceipt, RatingStatusPublic,
                          ServiceStatusPublic, TicketPublic)
from hall.spec import HallSpec
from hall.tickets import PersonTickets, Priority, ServiceStatus, TicketInfo
from kiosk.hall_client import Hall, HallUnavailable
from kiosk.outbox import Outbox

if TYPE_CHECKING:
    from hall.matters.schemas import MatterProgressPublic, MatterPublic, ReceiptOutcomeRequest, ReceiptPrintoutPublic

log = logging.getLogger(__name__)

API = "/api/v1"
DEADLINE = 4.5               # seconds for one call, its retries and waits included
ATTEMPT_TIMEOUT = (1.0, 3.0)  # connect, read of one attempt, within the deadline
GLANCE_DEADLINE = 2.0        # for what a screen shows: it waits for the answer, tried once
GLANCE_TIMEOUT = (1.0, 2.0)
FAIL_FAST_SECONDS = 5.0      # after a failure, screens are told at once until the next try
ATTEMPTS = 3
BACKOFF = 0.3                # urllib3's back-off factor: 0, 0.6, 1.2 s ... between attempts
RETRY_STATUS = {502, 503, 504}
HEARTBEAT_SECONDS = 30.0
CACHE_FILE = "hall-definition.json"
OUTBOX_FILE = "outbox.db"
# The outbox's kinds and the hall's resource that takes each.
DELIVERY_PATHS = {"device_report": "/devices/reports", "rating": "/ratings", "callback_phone": "/callbacks/phone",
                  "receipt_outcome": "/counters/{counter}/printer/receipts/{job}/outcome"}
# The fields of an entry that its path names rather than its body.
IN_PATH = {"receipt_outcome": ("counter", "job")}
# The kinds whose hall judges an entry by when it was given, told as its age at each sending.
GIVEN_AGO = frozenset({"rating"})
# Answers that mean "not now" for a report: it stays first in line, and is set aside only
# after this many of them; any other 4xx refuses it for good at once.
NOT_NOW = {408, 425, 429}
NOT_NOW_LIMIT = 10


@dataclass(frozen=True)
class _Budget:
    until: float    # time.monotonic() by which the call gives up
    retries: bool   # whether it may be sent again at all
    writes: bool    # whether a write may be sent again (it carries an idempotency key)


_BUDGET: ContextVar[_Budget] = ContextVar("hall_call_budget")
_MIN_ATTEMPT = 0.2  # seconds: less than this left of the deadline is no time for another attempt


class _WithinDeadline(Retry):
    """urllib3's retries (back-off, Retry-After, the methods retried) kept inside the
    deadline of the call they serve, which ``RemoteHall._call`` sets for its thread."""

    def _is_method_retryable(self, method: str) -> bool:
        budget = _BUDGET.get()
        return budget.retries and (method.upper() == "GET" or budget.writes)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        budget = _BUDGET.get()
        retry = super().increment(method, url, response=response, error=error, _pool=_pool, _stacktrace=_stacktrace)
        wait = retry.get_backoff_time()
        if response is not None and self.respect_retry_after_header:
            wait = retry.get_retry_after(response) or wait
        if not budget.retries or budget.until - time.monotonic() - wait < _MIN_ATTEMPT:
            raise MaxRetryError(_pool, url, error or ResponseError("the deadline leaves no time for another attempt"))
        return retry


class _AttemptTimeout(Timeout):
    """One attempt's timeouts, cut to what is left of the call's deadline (urllib3 clones
    the timeout for each attempt)."""

    def clone(self) -> Timeout:
        left = max(_BUDGET.get().until - time.monotonic(), 0.001)
        return Timeout(connect=min(self._connect, left), read=self._read, total=left)  # type: ignore[arg-type]


class RemoteHall(Hall):
    def __init__(self, url: str, token: str, *, data_dir: Path, ca_bundle: str | None = None,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, wall_clock: Callable[[], float] = time.time):
        self.url = url.rstrip("/")
        self._http = requests.Session()
        retries = HTTPAdapter(max_retries=_WithinDeadline(
            total=ATTEMPTS - 1, status_forcelist=RETRY_STATUS, backoff_factor=BACKOFF, backoff_jitter=0.1,
            raise_on_status=False, respect_retry_after_header=True))
        self._http.mount("http://", retries)
        self._http.mount("https://", retries)
        self._http.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "hall-kiosk"})
        # Passed with each request: requests lets REQUESTS_CA_BUNDLE override a session's own.
        self._verify: str | bool = ca_bundle or True
        self._cache = data_dir / CACHE_FILE
        self._failed_at: float | None = None  # when the server last failed to answer, until it answers
        self._spec = self._definition()
        self._outbox = Outbox(data_dir / OUTBOX_FILE, clock=wall_clock)
        self._heartbeat_seconds = heartbeat_seconds
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._link = threading.Thread(target=self._keep_in_touch, name="hall-link", daemon=True)
        self._link.start()

    @property
    def spec(self) -> HallSpec:
        return self._spec

    def services_status(self) -> list[ServiceStatus]:
        failed = self._failed_at
        if failed is not None and time.monotonic() - failed < FAIL_FAST_SECONDS:
            raise HallUnavailable(f"the hall server {self.url} did not answer {time.monotonic() - failed:.0f} s ago")
        answer = self._call("GET", "/services", retries=False, deadline=GLANCE_DEADLINE, timeout=GLANCE_TIMEOUT)
        return [ServiceStatusPublic.model_validate(s).info() for s in self._json(answer, 200)]

    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL, person_hash: str | None = None,
                     age: int | None = None, idempotency_key: str | None = None) -> TicketInfo:
        body = {"service": service, "priority": Priority(priority).value}
        if person_hash is not None:
            body["person_hash"] = person_hash
        if age is not None:
            body["age"] = age
        answer = self._call("POST", "/tickets", body=body, key=idempotency_key or f"ticket-{uuid.uuid4().hex}")
        _raise_refusal(answer, service)
        return TicketPublic.model_validate(self._json(answer, 201)).info()

    def check_in(self, code: str, *, idempotency_key: str | None = None) -> TicketInfo:
        answer = self._call("POST", "/bookings/check-ins", body={"code": code},
                            key=idempotency_key or f"check-in-{uuid.uuid4().hex}")
        try:
            service = parse_booking_code(code).service
        except BadBookingCode:
            service = ""
        _raise_refusal(answer, service)
        return TicketPublic.model_validate(self._json(answer, 201)).info()

    def ticket(self, ticket_id: int) -> TicketInfo:
        return self._found(f"/tickets/{int(ticket_id)}", f"no ticket {ticket_id} at {self.url}")

    def ticket_by_link(self, token: str) -> TicketInfo:
        path = f"/tickets/by-link/{requests.utils.quote(token, safe='')}"
        return self._found(path, f"{self.url} did not sign this ticket link")

    def ticket_by_number(self, number: str) -> TicketInfo:
        path = f"/tickets/by-number/{requests.utils.quote(number, safe='')}"
        return self._found(path, f"no ticket {number} today at {self.url}")

    def person_tickets(self, person_hash: str) -> PersonTickets:
        answer = self._call("POST", "/tickets/of-person", body={"person_hash": person_hash}, retries=False, deadline=GLANCE_DEADLINE,
                            timeout=GLANCE_TIMEOUT)
        return PersonTicketsPublic.model_validate(self._json(answer, 200)).info()

    def person_salt(self) -> bytes:
        """Asked for each card read: the key changes with the hall's day, which the server
        keeps, and is held nowhere here."""
        answer = self._json(self._call("GET", "/person-salt"), 200)
        return bytes.fromhex(PersonSaltPublic.model_validate(answer).salt)

    @property
    def takes_help_calls(self) -> bool:
        return True

    def call_for_help(self, location: str, *, idempotency_key: str | None = None) -> HelpCallPublic:
        answer = self._call("POST", "/help-calls", body={"location": location},
                            key=idempotency_key or f"help-{uuid.uuid4().hex}")
        return HelpCallPublic.model_validate(self._json(answer, 200))

    def help_call(self, call_id: int) -> HelpCallPublic:
        answer = self._call("GET", f"/help-calls/{int(call_id)}", retries=False, deadline=GLANCE_DEADLINE,
                            timeout=GLANCE_TIMEOUT)
        if answer.status_code == 404:
            raise HelpCallNotFound(f"the hall {self.url} knows no help call {call_id} of this kiosk")
        return HelpCallPublic.model_validate(self._json(answer, 200))

    def rating_status(self, ticket_id: int) -> RatingStatusPublic:
        answer = self._call("GET", f"/ratings/state/{int(ticket_id)}", retries=False, deadline=GLANCE_DEADLINE,
                            timeout=GLANCE_TIMEOUT)
        _raise_rating_refusal(answer)
        return RatingStatusPublic.model_validate(self._json(answer, 200))

    def rate(self, ticket_id: int, level: int, *, reasons: list[str], idempotency_key: str) -> RatingReceipt:
        """Sent now, not by the outbox: the citizen at the kiosk is told whether it was taken."""
        answer = self._call("POST", "/ratings", body={"ticket_id": ticket_id, "level": level, "reasons": list(reasons)},
                            key=idempotency_key)
        _raise_rating_refusal(answer)
        return RatingReceipt.model_validate(self._json(answer, 201))

    def catalogue(self) -> list[MatterPublic]:
        from hall.matters.schemas import MatterPublic  # with the server's tables: not before a guide is asked for

        answer = self._call("GET", "/catalogue", retries=False, deadline=GLANCE_DEADLINE, timeout=GLANCE_TIMEOUT)
        try:
            return [MatterPublic.model_validate(m) for m in self._json(answer, 200)]
        except (ValidationError, TypeError) as exc:
            raise HallUnavailable(f"{self.url}: the catalogue's answer is not a list of matters ({exc})") from exc

    def case_salt(self) -> bytes:
        """Asked for each card read, as today's person key is, and kept nowhere."""
        from hall.matters.schemas import MatterKeyPublic

        answer = self._json(self._call("GET", "/matter-progress/key", retries=False, deadline=GLANCE_DEADLINE,
                                       timeout=GLANCE_TIMEOUT), 200)
        return bytes.fromhex(MatterKeyPublic.model_validate(answer).key)

    def case_by_link(self, token: str) -> MatterProgressPublic:
        from hall.matters.schemas import MatterProgressPublic
        from hall.matters.states import MatterRefusal, MatterRefused

        answer = self._call("GET", f"/matter-progress/by-link/{requests.utils.quote(token, safe='')}",
                            retries=False, deadline=GLANCE_DEADLINE, timeout=GLANCE_TIMEOUT)
        if answer.status_code in (404, 422) and _problem(answer).get("error") in ("matter_refused", "not_found",
                                                                                  "invalid"):
            raise MatterRefused(MatterRefusal.NOT_FOUND, f"{self.url} has no case of this progress link")
        return MatterProgressPublic.model_validate(self._json(answer, 200))

    def cases_of_person(self, case_hash: str) -> list[MatterProgressPublic]:
        from hall.matters.schemas import MatterProgressPublic

        answer = self._call("POST", "/matter-progress/of-person", body={"person_hash": case_hash}, retries=False,
                            deadline=GLANCE_DEADLINE, timeout=GLANCE_TIMEOUT)
        return [MatterProgressPublic.model_validate(c) for c in self._json(answer, 200)]

    def guide_link(self, code: str) -> str | None:
        """The server's public guide page, at the address this kiosk reaches it by."""
        return f"{self.url}/guides/{requests.utils.quote(code, safe='')}"

    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        """Accepted into the outbox at once; the hall hears of it as soon as it can."""
        self._outbox.put("device_report", {"device_id": device_id, "kind": kind, "status": status,
                                           "detail": detail[:500]})
        self._wake.set()

    def report_rating(self, ticket_id: int, level: int, *, idempotency_key: str, reasons: list[str] = (),
                      comment: str = "") -> None:
        """A rating given at this terminal's counter, accepted into the outbox at once and
        delivered as soon as the hall can take it; the key, one per transaction, makes every
        resend the same rating. The hall sets the channel by the terminal's kind."""
        body = {"ticket_id": ticket_id, "level": level}
        if reasons:
            body["reasons"] = list(reasons)
        if comment:
            body["comment"] = comment
        self._outbox.put("rating", body, key=idempotency_key)
        self._wake.set()

    def leave_phone(self, ticket_id: int, phone: str, *, idempotency_key: str) -> None:
        """A number the citizen left at the counter for the hall's call-back, delivered like a
        report; it stays in the outbox only until the hall has it."""
        self._outbox.put("callback_phone", {"ticket_id": ticket_id, "phone": phone}, key=idempotency_key)
        self._wake.set()

    def counter_card(self) -> CounterTerminalPublic:
        """What a counter terminal shows (its token is bound to its counter); asked briefly,
        once: the terminal keeps showing what it had and asks again."""
        answer = self._call("GET", "/counter-terminal", retries=False, deadline=GLANCE_DEADLINE,
                            timeout=GLANCE_TIMEOUT)
        return CounterTerminalPublic.model_validate(self._json(answer, 200))

    def staff_photo(self) -> bytes:
        """The photo of the staff member serving at the terminal's counter, for the screen
        only: it is written nowhere."""
        answer = self._call("GET", "/counter-terminal/photo", retries=False, deadline=GLANCE_DEADLINE,
                            timeout=GLANCE_TIMEOUT)
        if answer.status_code != 200:
            self._json(answer, 200)  # raises HallUnavailable with the hall's reason
        return answer.content

    def receipt_printout(self, counter: str, job: int) -> ReceiptPrintoutPublic:
        """A receipt job's printout, for the counter terminal to lay out for its paper."""
        from hall.matters.schemas import ReceiptPrintoutPublic

        answer = self._call("GET", f"/counters/{requests.utils.quote(counter, safe='')}/printer/receipts/{int(job)}")
        try:
            return ReceiptPrintoutPublic.model_validate(self._json(answer, 200))
        except ValidationError as exc:
            raise HallUnavailable(f"{self.url}: receipt job {job}'s answer is not a printout ({exc})") from exc

    def report_receipt(self, counter: str, job: int, outcome: ReceiptOutcomeRequest) -> None:
        """What came of a receipt job, delivered like a report: its key is the job's, so the
        hall hears it once."""
        self._outbox.put("receipt_outcome", {"counter": counter, "job": int(job), **outcome.model_dump(mode="json")},
                         key=f"receipt-outcome-{int(job)}")
        self._wake.set()

    @property
    def outbox_waiting(self) -> int:
        """Reports not yet delivered."""
        return len(self._outbox)

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        self._link.join(timeout=10)
        self._outbox.close()
        self._http.close()

    # -- inside --------------------------------------------------------------------------

    def _definition(self) -> HallSpec:
        """From the server, kept on disk for the next start; from the disk if the server
        cannot be reached. Raises HallUnavailable when neither has it."""
        try:
            data = self._json(self._call("GET", "/hall", retries=False, deadline=GLANCE_DEADLINE,
                                         timeout=GLANCE_TIMEOUT), 200)
            spec = HallSpec.model_validate(data)
        except HallUnavailable as exc:
            if not self._cache.exists():
                raise HallUnavailable(f"the hall server {self.url} cannot be reached ({exc}) and this kiosk "
                                      "has never loaded its hall's definition; start it once with the server up") from exc
            log.warning("hall server %s unreachable (%s): using the definition kept in %s", self.url, exc, self._cache)
            try:
                return HallSpec.model_validate_json(self._cache.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValidationError) as bad:  # a power cut, a failing disk
                raise HallUnavailable(f"the hall server {self.url} cannot be reached ({exc}) and the hall's "
                                      f"definition kept in {self._cache} cannot be read ({type(bad).__name__}); "
                                      "start the kiosk with the server up") from bad
        self._keep(data)
        return spec

    def _keep(self, data: dict) -> None:
        """The definition for a start without the server. Not kept (a full disk) is a line in
        the log: this start has the server's answer."""
        temporary = self._cache.with_suffix(".tmp")
        try:
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, self._cache)
        except OSError as exc:
            log.warning("the hall's definition not kept in %s: %s", self._cache, exc)

    def _call(self, method: str, path: str, *, body: dict | None = None, key: str | None = None,
              retries: bool = True, deadline: float = DEADLINE,
              timeout: tuple[float, float] = ATTEMPT_TIMEOUT) -> requests.Response:
        """The answer within ``deadline`` seconds, after the retries urllib3 may make inside
        it (a POST without an idempotency key is sent once); HallUnavailable if none came."""
        headers = {"Idempotency-Key": key} if key else {}
        budget = _BUDGET.set(_Budget(until=time.monotonic() + deadline, retries=retries, writes=key is not None))
        try:
            answer = self._http.request(method, f"{self.url}{API}{path}", json=body, headers=headers,
                                        timeout=_AttemptTimeout(connect=timeout[0], read=timeout[1]),
                                        verify=self._verify)
        except requests.exceptions.SSLError as exc:
            raise HallUnavailable(f"{self.url}: TLS certificate not trusted ({exc})") from exc
        except requests.RequestException as exc:
            self._failed_at = time.monotonic()
            raise HallUnavailable(f"{method} {self.url}{API}{path}: no answer within {deadline:.1f} s "
                                  f"({type(exc).__name__}: {exc})") from exc
        finally:
            _BUDGET.reset(budget)
        self._failed_at = time.monotonic() if answer.status_code in RETRY_STATUS else None
        return answer

    def _found(self, path: str, missing: str) -> TicketInfo:
        """A ticket read by `path`; TicketNotFound for one the hall does not know or did not sign."""
        answer = self._call("GET", path)
        if answer.status_code in (403, 404, 422) and _problem(answer).get("error") in (
                "not_found", "bad_signature", "invalid"):
            raise TicketNotFound(missing)
        return TicketPublic.model_validate(self._json(answer, 200)).info()

    def _json(self, answer: requests.Response, expected: int):
        if answer.status_code != expected:
            problem = _problem(answer)
            raise HallUnavailable(f"{answer.request.method} {answer.url}: HTTP {answer.status_code} "
                                  f"{problem.get('error', '')}: {problem.get('message', answer.text[:200])}")
        try:
            return answer.json()
        except ValueError as exc:
            raise HallUnavailable(f"{answer.url}: the answer is not JSON") from exc

    def _keep_in_touch(self) -> None:
        """Delivers the outbox and beats the heart until closed; a failure waits for the
        next round, with the entry kept."""
        next_beat = 0.0
        pause = 1.0
        while not self._closing.is_set():
            ok = self._deliver()
            if time.monotonic() >= next_beat:
                try:
                    self._call("POST", "/devices/heartbeat", retries=False)
                    next_beat = time.monotonic() + self._heartbeat_seconds
                except HallUnavailable as exc:
                    log.info("heartbeat not sent: %s", exc)
                    next_beat = time.monotonic() + min(self._heartbeat_seconds, 5.0)
            pause = 1.0 if ok else min(pause * 2, 30.0)
            until_beat = next_beat - time.monotonic()
            self._wake.wait(timeout=max(0.01, until_beat if ok else min(pause, until_beat)))
            self._wake.clear()

    def _deliver(self) -> bool:
        """Sends what waits in the outbox, in order, each by its kind; False if the hall
        could not take it now. What the hall refuses for good is set aside, and the rest go on."""
        for entry in self._outbox.pending():
            if self._closing.is_set():
                return True
            path = DELIVERY_PATHS.get(entry.kind)
            if path is None:
                self._set_aside(entry, f"no delivery for entries of kind {entry.kind!r}")
                continue
            try:
                answer = self._call("POST", path.format_map(entry.body), body=self._sent_body(entry), key=entry.key,
                                    retries=False)
            except HallUnavailable as exc:
                log.info("%s %s kept for later: %s", entry.kind, entry.key, exc)
                return False
            status = answer.status_code
            if 200 <= status < 300:
                self._outbox.delivered(entry.key)
                continue
            problem = _problem(answer)
            reason = f"HTTP {status} {problem.get('error', '')}: {problem.get('message', answer.text[:200])}"
            if status >= 500 or status in NOT_NOW:
                if status in NOT_NOW and self._outbox.failed(entry.key) >= NOT_NOW_LIMIT:
                    self._set_aside(entry, f"{reason} ({NOT_NOW_LIMIT} times)")
                    continue
                log.info("%s %s kept for later: %s", entry.kind, entry.key, reason)
                return False
            self._set_aside(entry, reason)
        return True

    def _sent_body(self, entry) -> dict:
        body = {k: v for k, v in entry.body.items() if k not in IN_PATH.get(entry.kind, ())}
        if entry.kind not in GIVEN_AGO:
            return body
        return {**body, "given_seconds_ago": round(min(self._outbox.age(entry), MAX_GIVEN_SECONDS_AGO), 3)}

    def _set_aside(self, entry, reason: str) -> None:
        log.error("%s %s refused by the hall and set aside (main.py status lists it): %s; %s",
                  entry.kind, entry.key, reason, entry.body)
        self._outbox.refuse(entry.key, reason)


def _raise_refusal(answer: requests.Response, service: str) -> None:
    """The hall's refusal as the TicketRefused the embedded hall raises."""
    problem = _problem(answer)
    if answer.status_code not in (404, 409) or problem.get("error") != "refused":
        return
    reopens = problem.get("reopens_at")
    earlier = problem.get("earlier_ticket")
    if earlier is not None:
        earlier = EarlierTicket(**EarlierTicketPublic.model_validate(earlier).model_dump())
    raise TicketRefused(RefusalReason(problem["reason"]), service, earlier=earlier,
                        reopens_at=datetime.fromisoformat(reopens) if reopens else None)


def _raise_rating_refusal(answer: requests.Response) -> None:
    """The hall's refusal of a rating as the RatingRefused the embedded hall raises; a key
    used before for another rating of the ticket (its key is the ticket's) means it was rated."""
    problem = _problem(answer)
    error = problem.get("error")
    if error == "idempotency_key_reused":
        raise RatingRefused(RatingRefusal.ALREADY_RATED, problem.get("message", ""))
    if error == "rating_refused" and problem.get("reason") in {r.value for r in RatingRefusal}:
        raise RatingRefused(RatingRefusal(problem["reason"]), problem.get("message", ""))


def _problem(answer: requests.Response) -> dict:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
