"""The key behind person hashes as an installer meets it: made by `python -m hall person-key`
or at the server's first start, readable by its owner alone, and a key file the server
cannot trust stops it with exit code 2 and one line saying what to fix."""
from __future__ import annotations

import re
import stat

from hall.api.server import HallServer
from hall.settings import ServerSettings
from tests.conftest import SAMPLE_HALL
from tests.hall.test_main import hall


def test_the_command_makes_the_key_for_its_owner_alone_and_replaces_it_only_when_asked(tmp_path):
    data = ["--data-dir", str(tmp_path)]
    key_file = tmp_path / "person.key"
    made = hall("person-key", *data)
    assert made.returncode == 0 and str(key_file) in made.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", first)
    again = hall("person-key", *data)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1 and "--replace" in again.stderr
    assert key_file.read_text() == first
    replaced = hall("person-key", "--replace", *data)
    assert replaced.returncode == 0 and key_file.read_text() != first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and not (tmp_path / "hall.db").exists()


def test_a_key_file_the_server_cannot_trust_stops_it_with_one_line(tmp_path):
    key_file = tmp_path / "person.key"
    assert hall("person-key", "--person-key-file", str(key_file)).returncode == 0
    key_file.chmod(0o644)
    loose = hall("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert loose.returncode == 2
    assert loose.stderr.strip() == f"the person key {key_file} may be read by others (mode 0644); chmod 600 {key_file}"
    key_file.write_text("not a key\n")
    key_file.chmod(0o600)
    garbage = hall("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert garbage.returncode == 2 and len(garbage.stderr.strip().splitlines()) == 1
    assert "is not 64 hex digits" in garbage.stderr and "Traceback" not in garbage.stderr
    folder = hall("serve", "--port", "0", "--data-dir", str(tmp_path), "--person-key-file", str(tmp_path))
    assert folder.returncode == 2 and f"the person key {tmp_path} cannot be read" in folder.stderr
    assert not (tmp_path / "hall.db").exists()  # refused before the database was touched


def test_the_server_makes_its_key_at_first_start_where_it_is_told(tmp_path):
    key_file = tmp_path / "credentials" / "person.key"
    server = HallServer(ServerSettings(data_dir=tmp_path / "data", hall_file=SAMPLE_HALL, person_key_file=key_file))
    try:
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert not (tmp_path / "data" / "person.key").exists()
    finally:
        server.close()
