"""The embedded hall of a village kiosk keeps its person key as the hall server does: in a file
of its data folder, made at its first start for its owner alone, never in its SQLite file; a
copy of that file gives back no ID number, and a finished day's hashes go with the next day's
first ticket."""
from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta

from hall.person_keys import KEY_FILE
from kiosk.config import load_settings
from kiosk.identity import number_hash
from kiosk.terminal import open_hall
from tests.id_number_search import copy_of, recover

CITIZEN = "11010519491231002X"


def test_a_copy_of_a_village_kiosks_database_gives_back_no_id_number(kiosk_config, clock, tmp_path):
    settings = load_settings(kiosk_config)
    settings.prepare_data_dir()
    hall = open_hall(settings, clock=clock)
    key_file = settings.data_dir / KEY_FILE
    try:
        hall.services_status()  # the kiosk's first start, before any card
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        hall.issue_ticket("household", person_hash=number_hash(CITIZEN, hall.person_salt()), age=76)
        stolen = copy_of(settings.data_dir / "hall.db", tmp_path / "stolen.db")
    finally:
        hall.close()
    assert recover(stolen, CITIZEN) == set()
    assert recover(stolen, CITIZEN, key_file=key_file) == {CITIZEN}


def test_the_next_days_first_ticket_clears_the_finished_days_hashes(kiosk_config, clock):
    settings = load_settings(kiosk_config)
    settings.prepare_data_dir()
    hall = open_hall(settings, clock=clock)
    try:
        hall.issue_ticket("household", person_hash=number_hash(CITIZEN, hall.person_salt()), age=76)
        clock.now += timedelta(days=1)
        hall.issue_ticket("household", person_hash=number_hash(CITIZEN, hall.person_salt()), age=76)
    finally:
        hall.close()
    with sqlite3.connect(settings.data_dir / "hall.db") as con:
        rows = con.execute("select day, number, person_hash is not null from tickets order by id").fetchall()
    assert rows == [("2026-11-25", "C001", 0), ("2026-11-26", "C001", 1)]
