"""The attack on person hashes that a copy of a hall's SQLite file invites: try every ID number
near the citizen's (the same region, birth dates a few days either side, every sequence
number) under every key the attacker holds or can derive from what they hold. ID numbers
are that few: with the key, the search finds the number in well under a second."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from hall.person_keys import PersonKeys, read_key_file
from hall.signing import Signer
from kiosk.identity import birth_date_of, check_character, number_hash
from tests.conftest import SHANGHAI

DAYS_EITHER_SIDE = 3


def numbers_near(number: str) -> Iterator[str]:
    region, born = number[:6], birth_date_of(number)
    for offset in range(-DAYS_EITHER_SIDE, DAYS_EITHER_SIDE + 1):
        day = born + timedelta(days=offset)
        for sequence in range(1000):
            first17 = f"{region}{day:%Y%m%d}{sequence:03d}"
            yield first17 + check_character(first17)


def keys_from(database: Path, key_file: Path | None) -> list[bytes]:
    """Every key the database's secrets give, used raw or as this code derives keys (a
    signing purpose, a day's person key), and the day keys of the key file if one is held."""
    with sqlite3.connect(database) as con:
        secrets = [bytes.fromhex(value) for (value,) in con.execute("select value from hall_secrets")]
        halls = {hall for (hall,) in con.execute("select distinct hall_id from tickets")}
        days = [date.fromisoformat(day) for (day,) in con.execute("select distinct day from tickets")]
    masters = [s for s in secrets if len(s) == 32] + ([read_key_file(key_file)] if key_file else [])
    keys = [*secrets, *(Signer(s).key_for(p) for s in secrets for p in ("person", "ticket", "booking"))]
    keys += [PersonKeys(m, hall_id=h, zone=SHANGHAI).for_day(d) for m in masters for h in halls for d in days]
    return keys


def stored_hashes(database: Path) -> set[str]:
    with sqlite3.connect(database) as con:
        return {h for (h,) in con.execute("select person_hash from tickets where person_hash is not null")}


def recover(database: Path, near: str, *, key_file: Path | None = None) -> set[str]:
    """The ID numbers near `near` whose hash the database holds."""
    hashes = stored_hashes(database)
    keys = keys_from(database, key_file)
    return {n for n in numbers_near(near) for key in keys if number_hash(n, key) in hashes}


def copy_of(database: Path, to: Path) -> Path:
    """A consistent copy of a SQLite file in use, as a backup tool takes it."""
    with sqlite3.connect(database) as source, sqlite3.connect(to) as copy:
        source.backup(copy)
    return to
