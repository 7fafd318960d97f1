"""What logins may cost the hall server, whatever arrives: their password checks run on one
worker of their own at the lowest CPU priority, behind a short queue, and a network source
whose logins keep failing is slowed before any check is made.

An Argon2 check takes a good part of a second of both cores here (its four lanes run as
threads); run in the thread pool that serves tickets, a flood of logins with random job
numbers held ticket issue up for seconds. Both objects are used from the event loop only.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from hall.accounts import FAILURES_KEPT_FOR, LoginSlowed, slowed_for
from hall.api.errors import ApiError

CHECKS_WAITING = 4             # logins that may wait for the worker; more are answered 429 at once
SOURCE_FREE_FAILURES = 10      # failed logins from one source, any job numbers, before it is slowed
MAX_SOURCES = 10_000           # sources remembered; when all of them failed within a day, new ones wait
BUSY_RETRY_AFTER = 1
FULL_RETRY_AFTER = 60
T = TypeVar("T")


class PasswordChecks:
    """One worker thread for the Argon2 work of logins, at nice 19: Linux gives each thread
    its own nice value, and the threads Argon2 starts for its lanes inherit it, so a check
    yields the cores to every request that serves the hall. One running and CHECKS_WAITING
    waiting at most: a login beyond them gets 429 `login_busy` at once instead of a place in
    a queue that would grow with the flood."""

    def __init__(self, waiting: int = CHECKS_WAITING):
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-checks",
                                          initializer=_lowest_priority)
        self._limit = 1 + waiting
        self._admitted = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """A place among the logins being checked; raises a 429 when there is none."""
        if self._admitted >= self._limit:
            raise ApiError(429, "login_busy", "too many logins are being checked; try again in a moment",
                           {"Retry-After": str(BUSY_RETRY_AFTER)})
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def run(self, check: Callable[..., T], *args) -> T:
        return await asyncio.wrap_future(self._worker.submit(check, *args))

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def _lowest_priority() -> None:
    if sys.platform == "linux":  # elsewhere the call would lower the whole process
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


@dataclass
class _Failures:
    count: int
    last: datetime


class SourceFailures:
    """Failed logins per network source over every job number, kept in memory: a source
    that guesses is slowed before its guesses cost a password check or a database write,
    however it spreads them over job numbers. A login is counted as failed before it is
    checked (so that logins sent at once cannot outrun the count) and taken back unless its
    password turns out wrong. A source's count is forgotten a day after its last failure.
    Times are the hall's clock, as for the failures counted per job number in the database."""

    def __init__(self, free: int = SOURCE_FREE_FAILURES, capacity: int = MAX_SOURCES):
        self._free = free
        self._capacity = capacity
        self._sources: dict[str, _Failures] = {}

    def charge(self, source: str, now: datetime) -> None:
        """Counts a failure ahead; raises LoginSlowed while the source must wait."""
        failures = self._sources.get(source)
        if failures is None:
            if len(self._sources) >= self._capacity:
                self._forget(now)
            if len(self._sources) >= self._capacity:
                raise ApiError(429, "login_busy", "too many places are trying to log in; try again later",
                               {"Retry-After": str(FULL_RETRY_AFTER)})
            failures = self._sources[source] = _Failures(0, now)
        if now - failures.last >= FAILURES_KEPT_FOR:
            failures.count = 0
        wait = slowed_for(failures.count, self._free) - max(now - failures.last, timedelta(0))
        if failures.count >= self._free and wait > timedelta(0):
            raise LoginSlowed(max(1, int(wait.total_seconds() + 0.999)))
        failures.count += 1
        failures.last = now

    def refund(self, source: str) -> None:
        """Takes back a failure counted ahead: the login succeeded or no password was checked."""
        failures = self._sources.get(source)
        if failures is None:
            return
        failures.count -= 1
        if failures.count <= 0:
            del self._sources[source]

    def _forget(self, now: datetime) -> None:
        self._sources = {s: f for s, f in self._sources.items() if now - f.last < FAILURES_KEPT_FOR}
