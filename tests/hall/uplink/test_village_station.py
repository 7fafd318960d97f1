"""A village station's embedded kiosk reports to its county as its kiosk.toml says: the
tickets taken at the kiosk reach the county's server with the station as their origin, sent
by the uplink the kiosk starts beside its screens (kiosk.terminal.open_uplink), on a thread
of its own."""
from __future__ import annotations

import signal
import threading

from kiosk.config import load_settings
from kiosk.terminal import open_hall, open_uplink
from tests.conftest import OPEN_MORNING, write_kiosk_config
from tests.hall.uplink.chain import add_hall, hall_file, server
from tests.support.servers import FileClock
from tests.support.waiting import until


def test_a_village_kiosk_reports_its_tickets_to_its_county(tmp_path):
    clock = FileClock(tmp_path / "clock", OPEN_MORNING)
    county = server(tmp_path / "county", "county-511525", f"sqlite:///{tmp_path / 'county.db'}", clock).start()
    try:
        token = add_hall(county, "qingshan", "511525001", name="青山村便民服务站")
        station = tmp_path / "station"
        config = write_kiosk_config(station, hall_file=hall_file(station, "qingshan"))
        config.write_text(config.read_text() + f'parent = "{county.url}"\nparent_token = "{token}"\n',
                          encoding="utf-8")
        settings = load_settings(config)
        settings.prepare_data_dir()
        kiosk = open_hall(settings, clock=clock)
        uplink = open_uplink(settings, clock=clock)
        try:
            assert "hall-uplink" in {thread.name for thread in threading.enumerate()}
            numbers = [kiosk.issue_ticket("household").number for _ in range(3)]
            sent = "select kind, payload from uplink_events where origin = 'qingshan' and kind = 'issued' order by id"
            until(lambda: len(county.rows(sent)) == 3, seconds=60,
                  what=lambda: f"the county to hold the station's 3 tickets: {county.rows(sent)}")
            assert [number in payload for (_, payload), number in zip(county.rows(sent), numbers)] == [True] * 3
            assert county.rows("select hall_id, region from uplink_halls") == [("qingshan", "511525001")]
        finally:
            uplink.stop()
    finally:
        county.kill(signal.SIGTERM)
