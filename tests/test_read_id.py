"""python main.py read-id as a technician runs it after fitting a reader."""
from __future__ import annotations

import json
import os
import threading

from devices.urlhandler.protocol_simidcard import SimulatedCard, SimulatedIdCardReader
from devices.urlhandler.simulated_port import serve_fd
from tests.conftest import write_kiosk_config
from tests.devices.idcards import card_fields, card_toml
from tests.test_main import run_main


def test_the_configured_simulator_shows_the_sample_card_masked(tmp_path):
    config = write_kiosk_config(tmp_path, extra_devices="")  # the simulator with its sample card
    result = run_main("read-id", "--config", str(config))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["name"] == "王*" and shown["id_number"] == "1101**********002X"
    assert shown["nation"] == {"code": "01", "name": "汉"} and shown["valid_until"] == "长期"
    assert shown["accepted"] is True
    for secret in ("王秀英", "11010519491231002X", "建国路", "1231", "12-31"):  # 1231: the number's hidden digits
        assert secret not in result.stdout + result.stderr
    log = (tmp_path / "data" / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "ID card reader simidcard:// open" in log and "秀英" not in log and "19491231002X" not in log


def test_a_card_from_a_card_file_over_a_real_pty(tmp_path):
    config = write_kiosk_config(tmp_path)
    master, slave = os.openpty()
    stop = threading.Event()
    card = SimulatedCard.from_fields(card_fields(name="𠮷祥", nation="05", valid_until="20200101"))
    side = threading.Thread(target=serve_fd, args=(master, SimulatedIdCardReader([card]), stop), daemon=True)
    side.start()
    try:
        result = run_main("read-id", "--config", str(config), "--reader", f"serial://{os.ttyname(slave)}")
    finally:
        stop.set()
        side.join(5)
        os.close(master)
        os.close(slave)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["name"] == "𠮷*" and shown["nation"]["name"] == "维吾尔"
    assert shown["accepted"] is False and "expired on 2020-01-01" in shown["refused"]


def test_no_card_exits_1_saying_so(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("read-id", "--config", str(config), "--reader", "simidcard://?present=0")
    assert result.returncode == 1
    assert "no card read: no card on the ID card reader simidcard://?present=0" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_no_reader_exits_1_saying_so(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("read-id", "--config", str(config), "--reader", f"serial://{tmp_path}/ttyUSB9")
    assert result.returncode == 1
    assert "cannot open the ID card reader" in result.stderr and "Traceback" not in result.stderr


def test_a_silent_reader_exits_1_saying_so(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("read-id", "--config", str(config), "--reader", "simidcard://?fault=silent&fault_on=find")
    assert result.returncode == 1
    assert "no reply to find card" in result.stderr and "is it connected and switched on?" in result.stderr


def test_a_bad_reader_url_exits_2(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("read-id", "--config", str(config), "--reader", "lpt://1")
    assert result.returncode == 2 and "unknown ID card reader URL 'lpt://1'" in result.stderr


def test_a_card_file_named_in_the_url(tmp_path):
    cards = tmp_path / "cards.toml"
    cards.write_text(card_toml(card_fields(name="欧阳娜娜", sex="1")), encoding="utf-8")
    config = write_kiosk_config(tmp_path)
    result = run_main("read-id", "--config", str(config), "--reader", f"simidcard://?card={cards}")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["name"], shown["sex"]) == ("欧阳*", "male")
