"""After full ID card and QR code flows, nothing about the person but the masked number (on the
ticket) and the salted hash (in the hall's database) is written anywhere: the kiosk's database
and outbox, its log, the printer's spool and printed bytes, and, on a hall server, the server's
database and log. Every file is searched for the name, the address and the ID number, as
UTF-8, UTF-16 (the card's own encoding) and GB18030 (the printer's)."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from hall.tickets import Priority
from kiosk.config import load_settings
from kiosk.identity import mask_id_number, number_hash
from kiosk.terminal import open_hall
from kiosk.ticket_states import State
from tests.conftest import OPEN_MORNING, write_kiosk_config
from tests.devices.idcards import card_fields
from tests.kiosk.identity_kiosk import ELDER, ELDER_SECRETS, YOUNG, Kiosk, booking_code

ENCODINGS = ("utf-8", "utf-16-le", "gb18030")


def secrets_in(folder, secrets) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.name}: {s!r} ({e})" for s in secrets for e in ENCODINGS if s.encode(e) in data]
    return found


@pytest.fixture(params=["embedded", "remote"])
def setup(request, tmp_path, clock):
    """The kiosk's settings, the clock the hall reads, and the hall server's folder (remote)."""
    if request.param == "embedded":
        return load_settings(write_kiosk_config(tmp_path / "kiosk")), clock, None
    server = request.getfixturevalue("hall_server")
    token = server.register("k1")
    server.start()
    extra = f'hall = "{server.url}"\nhall_token = "{token}"'
    return load_settings(write_kiosk_config(tmp_path / "kiosk", extra_terminal=extra)), server.clock, server


def test_nothing_about_the_person_is_written_anywhere(setup, tmp_path):
    settings, clock, server = setup
    log_file = tmp_path / "kiosk" / "data" / "logs" / "everything.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)  # setLevel: loggers forget what they cached of the old level
    hall = open_hall(settings, clock=clock)
    kiosk = Kiosk(settings, hall, clock)
    flow = kiosk.flow
    database = server.args["database"] if server else settings.database_url
    try:
        kiosk.place(ELDER)  # at home: a green ticket
        kiosk.until(lambda: flow.errand.identity is not None)
        flow.choose("household")
        flow.confirm()
        kiosk.until(lambda: flow.state is State.TICKET)
        assert flow.errand.ticket.priority is Priority.GREEN
        qr = flow.texts.ticket_view().qr_payload
        clock.now = OPEN_MORNING + timedelta(minutes=5)
        kiosk.reader.lift()
        kiosk.place(ELDER)  # the same person again: their open ticket at once, and another service refused
        kiosk.until(lambda: flow.state is State.PROGRESS)
        flow.back()
        flow.choose("taxation")
        assert flow.state is State.NOTICE
        flow.home()
        flow.choose("housing_fund")  # a card asked for: an expired one, then a good one
        flow.confirm()
        kiosk.reader.lift()
        kiosk.place(card_fields(**{**ELDER, "valid_from": "19990101", "valid_until": "20090101"}))
        kiosk.until(lambda: flow.texts.identify_text() != "")
        kiosk.reader.lift()
        kiosk.place(YOUNG)
        kiosk.until(lambda: flow.state is State.TICKET)
        kiosk.scan(booking_code(database, "B1"))  # a booking, twice
        kiosk.until(lambda: flow.state is State.TICKET and flow.errand.ticket.priority is Priority.BOOKED)
        flow.done()
        kiosk.scan(booking_code(database, "B1"))
        kiosk.until(lambda: flow.state is State.NOTICE)
        flow.home()
        kiosk.scan(qr)  # the first ticket's code: its progress
        kiosk.until(lambda: flow.state is State.PROGRESS)
        flow.done()
        kiosk.scan(ELDER["id_number"] + " " + ELDER["name"])  # garbage holding a number and a name
        kiosk.until(lambda: flow.state is State.NOTICE)
        kiosk.inputs.card_watch.reader.port.unplug()
        kiosk.until(lambda: flow.reader_status.problem is not None)
        salt = hall.person_salt()
    finally:
        kiosk.close()
        hall.close()
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
    if server is not None:
        server.kill()
    secrets = ELDER_SECRETS + (YOUNG["name"], YOUNG["address"], YOUNG["id_number"], YOUNG["id_number"][:17])
    folders = [settings.data_dir] + ([server.log.parent] if server else [])
    assert [f for folder in folders for f in secrets_in(folder, secrets)] == []
    # What may be written is: the masked number on the ticket, the hash in the hall's database.
    texts = "".join(p.read_text(encoding="utf-8") for p in kiosk.spool.glob("ticket-*.txt"))
    assert mask_id_number(ELDER["id_number"]) in texts and mask_id_number(YOUNG["id_number"]) in texts
    hall_db = server.log.parent if server else settings.data_dir
    assert secrets_in(hall_db, [number_hash(ELDER["id_number"], salt)]) != []
    assert secrets_in(settings.data_dir, [salt.hex()]) == [] and salt not in b"".join(
        p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file() and "hall.db" not in p.name)
    assert "ID card 1101" in log_file.read_text(encoding="utf-8")  # the log was written to
