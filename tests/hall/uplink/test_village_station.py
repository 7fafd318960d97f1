"""A village station's embedded kiosk reports to its county as its kiosk.toml says: the
tickets taken at the kiosk reach the county's server with the station as their origin, sent
by the uplink the kiosk starts beside its screens (kiosk.terminal.open_uplink), on a thread
of its own; over HTTPS it trusts the county's private CA when given it, and nothing else."""
from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import pytest

from kiosk.config import Settings, load_settings
from kiosk.terminal import open_hall, open_uplink
from tests.conftest import OPEN_MORNING, write_kiosk_config
from tests.hall.uplink.chain import add_hall, hall_file, server
from tests.support.servers import FileClock
from tests.support.tls import self_signed
from tests.support.waiting import until

ISSUED = "select payload from uplink_events where origin = 'qingshan' and kind = 'issued' order by id"


@pytest.fixture
def clock(tmp_path) -> FileClock:
    return FileClock(tmp_path / "clock", OPEN_MORNING)


def station(folder: Path, parent_lines: str) -> Settings:
    """The station's kiosk.toml with these lines in its [embedded] table, as read at start."""
    config = write_kiosk_config(folder, hall_file=hall_file(folder, "qingshan"))
    config.write_text(config.read_text() + parent_lines, encoding="utf-8")
    settings = load_settings(config)
    settings.prepare_data_dir()
    return settings


def sent_up(county, numbers: list[str]) -> bool:
    payloads = [payload for (payload,) in county.rows(ISSUED)]
    return len(payloads) == len(numbers) and all(n in p for n, p in zip(numbers, payloads))


def test_a_village_kiosk_reports_to_its_county_through_the_countys_private_ca_alone(tmp_path, clock, caplog):
    certificate, key = self_signed(tmp_path, "county")
    stranger, _ = self_signed(tmp_path, "stranger")
    county = server(tmp_path / "county", "county-511525", f"sqlite:///{tmp_path / 'county.db'}", clock,
                    tls=(certificate, key)).start()
    try:
        assert county.url.startswith("https://")
        token = add_hall(county, "qingshan", "511525001", name="青山村便民服务站")
        lines = f'parent = "{county.url}"\nparent_token = "{token}"\n'
        wrong = station(tmp_path / "station", lines + f'parent_ca = "{stranger}"\n')
        kiosk = open_hall(wrong, clock=clock)
        numbers = [kiosk.issue_ticket("household").number for _ in range(2)]
        caplog.set_level(logging.WARNING, logger="hall.uplink.sender")
        uplink = open_uplink(wrong, clock=clock)
        try:
            until(lambda: "CERTIFICATE_VERIFY_FAILED" in caplog.text, seconds=60,
                  what=lambda: f"the stranger's certificate refused: {caplog.text}")
        finally:
            uplink.stop()
        assert county.rows("select count(*) from uplink_events") == [(0,)]
        assert county.rows("select count(*) from uplink_halls where definition is not null") == [(0,)]
        right = station(tmp_path / "station", lines + f'parent_ca = "{certificate}"\n')
        uplink = open_uplink(right, clock=clock)
        try:
            assert "hall-uplink" in {thread.name for thread in threading.enumerate()}  # not the screens' thread
            numbers.append(kiosk.issue_ticket("household").number)  # while it runs
            until(lambda: sent_up(county, numbers), seconds=60,
                  what=lambda: f"the county to hold the station's tickets {numbers}: {county.rows(ISSUED)}")
            assert county.rows("select hall_id, region from uplink_halls") == [("qingshan", "511525001")]
        finally:
            uplink.stop()
        kiosk.close()
    finally:
        county.kill(signal.SIGTERM)
