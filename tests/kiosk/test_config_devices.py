"""The ID card reader's and the scanner's URLs in kiosk.toml: defaults, and wrong ones refused."""
from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_settings
from tests.conftest import SAMPLE_HALL


def write(folder, devices: str):
    path = folder / "kiosk.toml"
    path.write_text(f'[terminal]\nid = "k1"\n\n[devices]\n{devices}\n\n[embedded]\nhall_file = "{SAMPLE_HALL}"\n',
                    encoding="utf-8")
    return path


def test_defaults_are_the_simulators(tmp_path):
    settings = load_settings(write(tmp_path, ""))
    assert (settings.devices.id_reader, settings.devices.scanner) == ("simidcard://", "simscanner://")
    shipped = load_settings()
    # The shipped kiosk starts at its home screen: no card lies on its simulated reader.
    assert (shipped.devices.id_reader, shipped.devices.scanner) == ("simidcard://?present=0", "simscanner://")


def test_real_devices(tmp_path):
    settings = load_settings(write(tmp_path, 'id_reader = "serial:///dev/ttyUSB0"\nscanner = "tcp://10.0.0.8:4002"'))
    assert settings.devices.id_reader == "serial:///dev/ttyUSB0"


@pytest.mark.parametrize("line, words", [
    ('id_reader = "usb://1234:5678"', ["line 5", "devices.id_reader", "'usb://1234:5678'", "simidcard://"]),
    ('scanner = "hid://0c2e"', ["line 5", "devices.scanner", "'hid://0c2e'", "serial:///dev/ttyACM0"]),
])
def test_a_wrong_url_names_file_line_key_and_the_forms(tmp_path, line, words):
    path = write(tmp_path, line)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    for word in [str(path), *words]:
        assert word in message, (word, message)


@pytest.mark.parametrize("line, words", [
    ('id_reader = "tcp://10.0.0.7:0"', ["devices.id_reader", "port 0"]),
    ('id_reader = "serial://"', ["devices.id_reader", "no port named"]),
    ('id_reader = "serial:///dev/ttyUSB0?baudrate=fast"', ["devices.id_reader", "bad value 'fast' for baudrate"]),
    ('scanner = "tcp://10.0.0.8"', ["devices.scanner", "expected tcp://HOST:PORT"]),
    ('scanner = "serial:///dev/ttyACM0?speed=9600"', ["devices.scanner", "unknown option 'speed'"]),
])
def test_a_url_of_a_known_kind_that_cannot_work_is_refused_at_start(tmp_path, line, words):
    """Checked by the drivers' own URL reader (devices.port_url), so that the kiosk never
    starts with a reader or scanner it cannot open, said only in its log."""
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, line))
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))
