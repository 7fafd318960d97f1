"""The key behind person hashes, kept out of the hall's database (docs/privacy.md).

A person hash (kiosk.identity.number_hash) lets the hall hold a citizen to one ticket a day
without knowing who they are. ID numbers are few (a region, a birth date, three digits):
whoever holds the key can try them all in seconds. So the key never enters the database
that backups and copies carry: it lives in a file of its own, readable by the service's
user alone, made at first start or beforehand by ``python -m hall person-key``.

The key is never used as it is: each day has its own, HMAC(key, hall and day), and a kiosk
is given today's alone. A hash made with one day's key says nothing of another day's, so
the hashes link no visits across days, and those of finished days are removed after the
hall's ``[privacy] person_hashes_kept_days`` (hall.housekeeping). No SQLAlchemy here: a
kiosk names its key file before its hall's engine is loaded.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hall.errors import HallError

log = logging.getLogger(__name__)

KEY_FILE = "person.key"   # in the data directory, beside the SQLite database but not in it
KEY_BYTES = 32
_KEY_TEXT = re.compile(rf"[0-9a-f]{{{2 * KEY_BYTES}}}")
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


class PersonKeyError(HallError):
    """A key file that cannot be used; its one line says what to fix."""


class PersonKeys:
    """The day keys of one hall, from its key."""

    def __init__(self, key: bytes, *, hall_id: str, zone: ZoneInfo):
        if len(key) != KEY_BYTES:
            raise ValueError(f"a person key has {KEY_BYTES} bytes")
        self._key = key
        self._hall = hall_id
        self._zone = zone

    def for_day(self, day: date) -> bytes:
        """The key of the person hashes of one day in this hall."""
        message = f"hall-kiosk person hash {self._hall} {day.isoformat()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def for_matters(self) -> bytes:
        """The key of the hashes a hall keeps with its cases (办件) so that a citizen's ID card
        finds their cases of the last 90 days: the same on every day, which is why these hashes
        are removed once their case has been closed that long (hall.matters)."""
        message = f"hall-kiosk matter lookup {self._hall}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def today(self, now: datetime) -> tuple[date, bytes]:
        """The hall's day at `now` and its key: all a kiosk is given."""
        day = now.astimezone(self._zone).date()
        return day, self.for_day(day)


def open_keys(path: Path, *, hall_id: str, zone: ZoneInfo) -> PersonKeys:
    """The hall's day keys from its key file, which is made at first start."""
    if not path.exists():
        make_key_file(path, exist_ok=True)
    return PersonKeys(read_key_file(path), hall_id=hall_id, zone=zone)


def make_key_file(path: Path, *, replace: bool = False, exist_ok: bool = False) -> None:
    """Writes a new random key, readable and writable by this user alone (0600). Two
    processes starting at once: the file is created exclusively, the second reads the
    first's (exist_ok). `replace` puts a new key in place of an old one in one step."""
    text = secrets.token_hex(KEY_BYTES) + "\n"
    target = path.with_name(path.name + ".new") if replace else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if replace:
            target.unlink(missing_ok=True)  # left by a replacement that was cut short
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if exist_ok:
            return
        raise PersonKeyError(f"the person key {path} exists; --replace makes a new one "
                             "(today's tickets then no longer hold their holders to one a day)") from None
    except OSError as exc:
        raise PersonKeyError(f"the person key {path} cannot be made: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    if replace:
        os.replace(target, path)
    log.info("made the person key %s (mode 0600): keep it out of the database's backups", path)


def read_key_file(path: Path) -> bytes:
    """The key, from a file only its owner may read; PersonKeyError otherwise."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise PersonKeyError(f"the person key {path} is missing; make it with "
                             f"python -m hall person-key --person-key-file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PersonKeyError(f"the person key {path} cannot be read: {reason}") from None
    if not stat.S_ISREG(mode):
        raise PersonKeyError(f"the person key {path} is not a file")
    if mode & _OTHERS:
        raise PersonKeyError(f"the person key {path} may be read by others (mode {stat.S_IMODE(mode):04o}); "
                             f"chmod 600 {path}")
    if not _KEY_TEXT.fullmatch(text):
        raise PersonKeyError(f"the person key {path} is not {2 * KEY_BYTES} hex digits; "
                             "make a new one with python -m hall person-key --replace")
    return bytes.fromhex(text)

