"""The ID card reader's and the scanner's URLs in kiosk.toml: defaults, and wrong ones refused."""
from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.config import ConfigError, load_settings
from tests.conftest import ROOT, SAMPLE_HALL


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


MALFORMED_DEVICE_URLS = [
    # (key, URL, words of what is wrong)
    ("printer", "tcp://192.0.2.10:99999", "from 1 to 65535"),
    ("printer", "tcp://192.0.2.10:abc", "from 1 to 65535"),
    ("printer", "tcp://192.0.2.10:", "port empty"),
    ("printer", "tcp://192.0.2.10:9100/lp", "expected tcp://HOST[:9100]"),
    ("printer", "tcp://192.0.2.10:9100?timeout=3", "takes no options"),
    ("printer", "serial://", "no port named"),
    ("printer", "serial:///dev/ttyS0?baudrate=abc", "bad value 'abc' for baudrate"),
    ("printer", "serial:///dev/ttyS0?baudrate=-5", "bad value '-5' for baudrate"),
    ("printer", "serial:///dev/ttyS0?parity=Q", "bad value 'Q' for parity"),
    ("printer", "serial:///dev/ttyS0?bytesize=9", "bad value '9' for bytesize"),
    ("printer", "serial:///dev/ttyS0?stopbits=3", "bad value '3' for stopbits"),
    ("printer", "serial:///dev/ttyS0?speed=9600", "unknown option 'speed'"),
    ("printer", "serial:///dev/ttyS0?baudrate=9600&baudrate=19200", "given 2 times"),
    ("printer", "usb://zz:yy", "4 hex digits"),
    ("printer", "usb://04b8", "4 hex digits"),
    ("printer", "usb://04b8:0202?in_ep=zz", "bad value 'zz' for in_ep"),
    ("printer", "usb://04b8:0202?out_ep=0x1ff", "bad value '0x1ff' for out_ep"),
    ("printer", "usb://04b8:0202?timeout=5", "unknown option 'timeout'"),
    ("printer", "file://", "expected file:///PATH"),
    ("printer", "file:///dev/usb/", "expected file:///PATH"),
    ("printer", "file://printhost/dev/usb/lp0", "expected file:///PATH"),
    ("printer", "simprinter://?paper=wet", "paper must be one of ok|near_end|out, not 'wet'"),
    ("printer", "simprinter://?online=maybe", "online must be 1 or 0"),
    ("printer", "simprinter://?fail_after=-1", "fail_after must be 0 or more"),
    ("printer", "simprinter://?columns=8", "columns must be 16 to 255"),
    ("printer", "simprinter://?colour=red", "unknown option: 'colour'"),
    ("printer", "loop://?echo=1", "takes no options"),
    ("id_reader", "simidcard://?fault=fire", "fault must be one of"),
    ("id_reader", "simidcard://?present=maybe", "present must be 1 or 0"),
    ("id_reader", "simidcard://?card=/nonexistent/cards.toml", "No such file"),
    ("id_reader", "tcp://10.0.0.7:70000", "from 1 to 65535"),
    ("scanner", "simscanner://?suffix=tab", "bad option suffix='tab'"),
    ("scanner", "tcp://10.0.0.8:abc", "from 1 to 65535"),
]


@pytest.mark.parametrize("key, url, words", MALFORMED_DEVICE_URLS, ids=[f"{k}-{u}" for k, u, _ in MALFORMED_DEVICE_URLS])
def test_a_malformed_device_url_exits_2_at_start_naming_file_line_and_fault(tmp_path, key, url, words):
    """Read by the drivers' and simulators' own URL readers, so that a URL a driver could not
    open stops the kiosk at start, not at the first ticket."""
    path = write(tmp_path, f'{key} = "{url}"')
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(path)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"configuration error in {path}:\n  line 5, devices.{key}: " in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
