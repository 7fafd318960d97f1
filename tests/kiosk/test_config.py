"""Configuration mistakes stop the program with exit code 2 and a message naming the file,
the line, the key and what is allowed; the tests run main.py as a technician would."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE_HALL, write_kiosk_config
from kiosk.config import ConfigError, load_settings


def run_main(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_the_shipped_configuration_loads():
    settings = load_settings()
    assert settings.terminal.hall == "embedded"
    assert settings.devices.printer == "simprinter://"
    assert len(settings.hall.services) == 8
    assert [s.prefix for s in settings.hall.services] == list("ABCDEFGH")


TERMINAL_MISTAKES = [
    # (what is written in [terminal], words the message must hold)
    ('idle_timout = 30', ["line 5", "terminal.idle_timout", "unknown key", "idle_timeout"]),
    ('idle_timeout = "soon"', ["line 5", "terminal.idle_timeout", "'soon'", "integer"]),
    ('idle_timeout = 5', ["line 5", "terminal.idle_timeout", "5", "greater than or equal to 10"]),
    ('language = "fr"', ["line 5", "terminal.language", "'fr'", "'zh_CN'", "'zh_TW'", "'en'"]),
    ('mode = "queue"', ["line 5", "terminal.mode", "'queue'", "'ticket'", "'counter'"]),
    ('hall = "ftp://hall"', ["line 5", "terminal.hall", "embedded", "https://"]),
    ('large_type = "yes please"', ["line 5", "terminal.large_type", "boolean"]),
    (f'location = "{"一楼东门" * 17}"', ["line 5", "terminal.location", "at most 64 characters"]),
]


@pytest.mark.parametrize("line,words", TERMINAL_MISTAKES, ids=[m[0].split()[0] for m in TERMINAL_MISTAKES])
def test_a_wrong_terminal_key_or_value_exits_2_naming_file_line_key_and_allowed(tmp_path, line, words):
    path = write_kiosk_config(tmp_path, extra_terminal=line)
    result = run_main("--config", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_a_bad_printer_url_names_the_forms_allowed(tmp_path):
    path = write_kiosk_config(tmp_path, printer="lpt1://")
    result = run_main("--config", str(path))
    assert result.returncode == 2
    assert "devices.printer" in result.stderr and "'lpt1://'" in result.stderr
    assert "serial:///dev/ttyS0?baudrate=9600" in result.stderr


COUNTER_TERMINAL = 'mode = "counter"\nhall = "http://127.0.0.1:9"\nhall_token = "a-counter-token"'


@pytest.mark.parametrize("url,words", [
    ("lpt1://", ["unknown printer URL scheme 'lpt1'", "serial:///dev/ttyS0?baudrate=9600"]),
    ("tcp://10.0.0.21:9100?speed=fast", ["this kind of URL takes no options", "tcp://HOST[:9100]"]),
])
def test_a_bad_receipt_printer_url_names_the_forms_allowed(tmp_path, url, words):
    path = write_kiosk_config(tmp_path, extra_terminal=COUNTER_TERMINAL)
    path.write_text(path.read_text(encoding="utf-8") + f'\n[counter]\nid = "3"\nreceipt_printer = "{url}"\n',
                    encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and "counter.receipt_printer" in result.stderr and repr(url) in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_a_counter_terminal_without_a_receipt_printer_has_none(tmp_path):
    path = write_kiosk_config(tmp_path, extra_terminal=COUNTER_TERMINAL)
    path.write_text(path.read_text(encoding="utf-8") + '\n[counter]\nid = "3"\n', encoding="utf-8")
    counter = load_settings(path).config.counter
    assert (counter.receipt_printer, counter.receipt_printer_profile) == (None, "80mm")


def test_broken_toml_gives_its_line(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nid = "k1"\nlanguage = "zh_CN\n', encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr and "line 3" in result.stderr


def test_a_missing_file_is_named(tmp_path):
    result = run_main("--config", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2
    assert "nowhere.toml" in result.stderr and "file not found" in result.stderr


def test_a_missing_required_key(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nlanguage = "en"\n', encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2
    assert "terminal.id" in result.stderr and "required" in result.stderr


def test_a_missing_hall_file_is_named(tmp_path):
    path = write_kiosk_config(tmp_path, hall_file=tmp_path / "no-hall.toml")
    result = run_main("--config", str(path))
    assert result.returncode == 2
    assert "embedded.hall_file" in result.stderr and "no-hall.toml" in result.stderr


HALL_MISTAKES = [
    # (text replaced in the sample hall, its replacement, words the message must hold)
    ('prefix = "C"', 'prefix = "A"', ["prefix 'A' is used by two services"]),
    ('prefix = "C"', 'prefix = "CC"', ["services[2].prefix", "'CC'", "one capital letter"]),
    ('services = ["taxation"]', 'services = ["taxes"]', ["counter '7' serves unknown service(s) taxes", "known:"]),
    ('timezone = "Asia/Shanghai"', 'timezone = "Beijing"', ["hall.timezone", "unknown time zone", "Asia/Shanghai"]),
    ('saturday  = ["09:00-12:00"]', 'saturday  = ["9 to 12"]', ["hours.saturday", "08:30-12:00"]),
    ('mean_service_minutes = 20', 'mean_service_minutes = 0', ["services[3].mean_service_minutes", "greater than 0"]),
    ('daily_quota = 80', 'daily_quota = 80\nwindow = 3', ["services[3].window", "unknown key", "daily_quota"]),
    ('max_recalls = 3', 'max_recalls = -1', ["hall.max_recalls", "-1"]),
    ('priority_first = ["green", "booked"]', 'priority_first = ["normal"]', ["hall.priority_first", "green, booked"]),
    ('stop_issuing_minutes = 15', 'stop_issuing_minutes = 200',
     ["hours: stop_issuing_minutes = 200", "saturday 09:00-12:00", "no time to issue tickets"]),
    ('name = { zh_CN = "城关县政务服务中心"', 'name = { zh_CN = "  "', ["hall.name.zh_CN", "blank"]),
    ('name = { zh_CN = "社会保险"', 'name = { zh_CN = "' + "社会保险" * 30 + '"', ["services[0].name.zh_CN", "at most 80"]),
    # A counter's receipt printer is its terminal's (kiosk.toml), no longer the hall's.
    ('services = ["taxation"]', 'services = ["taxation"]\nprinter = "tcp://10.0.0.21:9100"',
     ["line 187", "counters[6].printer", "unknown key"]),
]


@pytest.mark.parametrize("old,new,words", HALL_MISTAKES, ids=[m[1].split()[0] for m in HALL_MISTAKES])
def test_a_wrong_hall_definition_exits_2_with_its_message(tmp_path, old, new, words):
    text = SAMPLE_HALL.read_text(encoding="utf-8")
    assert old in text
    hall = tmp_path / "hall.toml"
    hall.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run_main("--config", str(write_kiosk_config(tmp_path, hall_file=hall)))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(hall) in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_the_line_points_at_the_key(tmp_path):
    text = SAMPLE_HALL.read_text(encoding="utf-8")
    hall = tmp_path / "hall.toml"
    hall.write_text(text.replace('prefix = "D"', 'prefix = "dd"'), encoding="utf-8")
    line = next(i for i, row in enumerate(hall.read_text().splitlines(), 1) if 'prefix = "dd"' in row)
    result = run_main("--config", str(write_kiosk_config(tmp_path, hall_file=hall)))
    assert f"line {line}, services[3].prefix" in result.stderr


@pytest.mark.parametrize("terminal,words", [
    ('hall = "https://hall.example.gov.cn"', ["terminal: hall is a server", "hall_token", "add-device"]),
    ('hall = "http://hall.example.gov.cn"\nhall_token = "t"', ["use https", "in clear"]),
])
def test_a_remote_hall_needs_a_token_and_tls(tmp_path, terminal, words):
    path = write_kiosk_config(tmp_path, extra_terminal=terminal)
    result = run_main("--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.mark.parametrize("lines,words", [
    ('parent = "https://county.example.gov.cn"', ["embedded", "parent is set", "parent_token", "add-hall"]),
    ('parent = "http://county.example.gov.cn"\nparent_token = "t"', ["use https", "uplink token", "in clear"]),
    ('parent = "county.example.gov.cn"\nparent_token = "t"', ["embedded.parent", "URL"]),
])
def test_a_station_reporting_up_needs_its_token_and_tls(tmp_path, lines, words):
    path = write_kiosk_config(tmp_path)
    path.write_text(path.read_text() + lines + "\n", encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


DATABASE_MISTAKES = [
    ("sqlite://", "a database file"),
    ("sqlite:///:memory:", "a database file"),
    pytest.param("postgresql://kiosk@127.0.0.1/hall", "psycopg2 is not installed",
                 marks=pytest.mark.skipif(importlib.util.find_spec("psycopg2") is not None, reason="psycopg2 installed")),
    ("postgresql+psycopg://kiosk@127.0.0.1/", "no database name"),
    ("mysql://kiosk@db/hall", "sqlite:///"),
    ("hall.db", "sqlite:///"),
]


@pytest.mark.parametrize("url,words", DATABASE_MISTAKES)
def test_an_unusable_embedded_database_is_refused_at_start(tmp_path, url, words):
    path = write_kiosk_config(tmp_path)
    path.write_text(path.read_text() + f'database = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    message = str(refused.value)
    assert "embedded.database" in message and repr(url) in message and words in message, message


def test_an_unusable_embedded_database_exits_2(tmp_path):
    path = write_kiosk_config(tmp_path)
    path.write_text(path.read_text() + 'database = "sqlite://"\n', encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2 and "embedded.database" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where,words", [
    ("a-file", ["is not a folder"]),
    ("/proc/hall-kiosk-data", ["cannot be used"]),
    ("~no-such-user-here/data", ["cannot be resolved"]),
])
def test_a_data_dir_that_cannot_be_used_exits_2(tmp_path, where, words):
    (tmp_path / "a-file").write_text("not a folder")
    path = write_kiosk_config(tmp_path)
    path.write_text(path.read_text().replace('data_dir = "data"', f'data_dir = "{where}"'), encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "terminal.data_dir" in result.stderr and "line 4" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("printer,words", [
    ("tcp://192.0.2.10:0", ["devices.printer", "port"]),
    ("tcp://:9100", ["devices.printer", "tcp://HOST"]),
])
def test_a_printer_url_that_cannot_work_is_refused(tmp_path, printer, words):
    with pytest.raises(ConfigError) as refused:
        load_settings(write_kiosk_config(tmp_path, printer=printer))
    for word in words:
        assert word in str(refused.value), str(refused.value)


def test_test_print_refuses_a_printer_without_a_scheme(tmp_path):
    path = write_kiosk_config(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "test-print", "--config", str(path),
                             "--printer", "paper.bin"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "--printer" in result.stderr and "'paper.bin'" in result.stderr and "file:///" in result.stderr
    assert not (tmp_path / "paper.bin").exists()


@pytest.mark.parametrize("old,new,key", [
    ("daily_quota = 200", "daily_quota = true", "services[0].daily_quota"),
    ("max_recalls = 3", "max_recalls = false", "hall.max_recalls"),
    ("stop_issuing_minutes = 15", "stop_issuing_minutes = true", "hours.stop_issuing_minutes"),
    ("early_minutes = 30", "early_minutes = true", "booking.early_minutes"),
    ("late_minutes = 15", "late_minutes = false", "booking.late_minutes"),
    ("tickets_per_person = 1", "tickets_per_person = true", "hall.tickets_per_person"),
    ("green_channel_age = 70", "green_channel_age = true", "hall.green_channel_age"),
    ("mean_service_minutes = 8", "mean_service_minutes = true", "services[0].mean_service_minutes"),
])
def test_true_or_false_is_no_number_in_the_hall_definition(tmp_path, old, new, key):
    """TOML's true would otherwise count as 1 (a quota of one ticket a day)."""
    text = SAMPLE_HALL.read_text(encoding="utf-8")
    assert old in text
    hall = tmp_path / "hall.toml"
    hall.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(write_kiosk_config(tmp_path, hall_file=hall))
    line = next(i for i, row in enumerate(hall.read_text(encoding="utf-8").splitlines(), 1) if row.strip() == new)
    assert f"line {line}, {key}: {new.split(' = ')[1].capitalize()} is not allowed" in str(refused.value)


def test_true_is_no_number_of_seconds_in_the_kiosk_file(tmp_path):
    result = run_main("--config", str(write_kiosk_config(tmp_path, extra_terminal="idle_timeout = true")))
    assert result.returncode == 2 and "terminal.idle_timeout: True is not allowed" in result.stderr, result.stderr


LONG = "a" * 100_000
PATH_MISTAKES = [
    ("terminal", "data_dir", "a\\u0000b", "holds a NUL character"),
    ("terminal", "data_dir", LONG, "longer than a path can be"),
    ("embedded", "hall_file", "a\\u0000b", "holds a NUL character"),
    ("embedded", "hall_file", LONG, "longer than a path can be"),
    ("embedded", "hall_file", "", "is empty"),
    ("embedded", "hall_file", ".", "is not a file"),
    ("embedded", "hall_file", "x/" * 2100 + "hall.toml", "longer than a path can be"),
]


@pytest.mark.parametrize("table,key,value,words", PATH_MISTAKES,
                         ids=[f"{m[1]}-{m[3].split()[-1]}" for m in PATH_MISTAKES])
def test_a_path_no_system_can_use_exits_2_naming_the_key(tmp_path, table, key, value, words):
    path = tmp_path / "kiosk.toml"
    hall = f'hall_file = "{value}"' if key == "hall_file" else f'hall_file = "{SAMPLE_HALL}"'
    data = f'data_dir = "{value}"' if key == "data_dir" else 'data_dir = "data"'
    path.write_text(f'[terminal]\nid = "k1"\n{data}\n\n[embedded]\n{hall}\n', encoding="utf-8")
    result = run_main("--config", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = 3 if key == "data_dir" else 6
    assert f"line {line}, {table}.{key}: " in result.stderr and words in result.stderr, result.stderr
    assert len(result.stderr) < 1000  # the value is quoted clipped, not whole


def _with_database(tmp_path, url: str):
    path = write_kiosk_config(tmp_path)
    path.write_text(path.read_text() + f'database = "{url}"\n', encoding="utf-8")
    return path


def _garbage(folder):
    (folder / "hall.db").write_bytes(b"not a database, a text file " * 200)
    return folder / "hall.db"


def _folder(folder):
    (folder / "hall.db").mkdir()
    return folder / "hall.db"


@pytest.mark.parametrize("make,words", [
    (_garbage, "is not a SQLite database"),
    (_folder, "is not a database file"),
    (lambda folder: folder / "nonexistent" / "x" / "hall.db", "of the database does not exist"),
], ids=["garbage", "folder", "no-folder"])
def test_a_sqlite_database_that_cannot_serve_exits_2_and_no_folder_is_made(tmp_path, make, words):
    database = make(tmp_path)
    path = _with_database(tmp_path, f"sqlite:///{database}")
    result = run_main("--config", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "line 13, embedded.database: " in result.stderr and words in result.stderr, result.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_a_garbage_database_in_the_data_dir_names_the_data_dir(tmp_path):
    path = write_kiosk_config(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "hall.db").write_bytes(bytes(range(256)) * 40)
    result = run_main("--config", str(path))
    assert result.returncode == 2 and "line 4, terminal.data_dir: " in result.stderr, result.stderr
    assert "is not a SQLite database" in result.stderr


def test_a_postgresql_server_that_does_not_answer_exits_2(tmp_path):
    from tests.postgres import free_port

    result = run_main("--config", str(_with_database(tmp_path, f"postgresql+psycopg://kiosk@127.0.0.1:{free_port()}/hall")))
    assert result.returncode == 2, result.stderr
    assert "embedded.database: the database server does not serve" in result.stderr, result.stderr
    assert "Connection refused" in result.stderr and "Traceback" not in result.stderr


def test_databases_that_serve_pass_the_start_up_check(tmp_path, postgres):
    import sqlite3

    sqlite3.connect(tmp_path / "kept.db").execute("CREATE TABLE t (x)").connection.commit()
    for url in (f"sqlite:///{tmp_path / 'kept.db'}", f"sqlite:///{tmp_path / 'new.db'}", postgres.url):
        load_settings(_with_database(tmp_path, url)).check_database()
    assert not (tmp_path / "new.db").exists()
