"""The terminal's own configuration (config/kiosk.toml): who it is, which hall it serves,
its devices by URL and how it looks. Checked whole at start-up: a wrong key or value stops
the program with a message naming file, line, key and what is allowed."""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from devices.printer_profiles import PROFILES
from hall.configfile import ConfigError, Problem, Strict, load_model, locate_line, read_toml
from hall.spec import LANGUAGES, HallSpec, load_hall

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "kiosk.toml"
ID_READER_SCHEMES = ("simidcard", "serial", "tcp", "loop")
SCANNER_SCHEMES = ("simscanner", "serial", "tcp", "loop")


PATH_MAX = 4095  # bytes, and 255 for one name: what Linux takes


def _path(value: str) -> str:
    """A path the system can be asked about: os and pathlib raise for a NUL or a path too
    long, and an empty one would name the configuration's own folder."""
    if not value.strip():
        raise ValueError("is empty: name a file or folder, or leave the key out for the default")
    if "\0" in value:
        raise ValueError("holds a NUL character, which no path can")
    if len(value.encode()) > PATH_MAX or any(len(name.encode()) > 255 for name in value.split("/")):
        raise ValueError(f"is longer than a path can be ({PATH_MAX} bytes, 255 for one name)")
    return value


# A path, and a path or nothing.
PathText = Annotated[str, AfterValidator(_path)]
OptionalPathText = Annotated[str, AfterValidator(lambda value: _path(value) if value else value)]


def hall_server_url(value: str, use: str = "use") -> str:
    """A hall server's URL, without the slash at its end."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f'{use} the hall server\'s URL, such as "https://hall.example.gov.cn"')
    return value.rstrip("/")


def check_hall_link(url: str, token: str, *, fields: str = "hall is a server: set hall_token",
                    command: str = "add-device", what: str = "device token") -> None:
    """A terminal of a hall server has its device token (a village station its parent's uplink
    token), and sends it in clear only on this machine."""
    if not token:
        raise ValueError(f"{fields} to the token of python -m hall {command}")
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"{url!r}: use https; the {what} must not cross the network in clear")


class Terminal(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    mode: Literal["ticket", "counter"] = "ticket"
    hall: str = Field("embedded", description='"embedded", or the hall server\'s http(s) URL')
    location: str = Field("", max_length=64, description="where the kiosk stands (一楼东门): staff see it "
                                                         "with the kiosk's help calls")
    language: Literal[LANGUAGES] = "zh_CN"  # type: ignore[valid-type]
    idle_timeout: int = Field(60, ge=10, le=600, strict=True, description="seconds without a touch before the session is wiped")
    ticket_timeout: int = Field(20, ge=5, le=300, strict=True, description="seconds the ticket stays on screen")
    large_type: bool = False
    voice: bool = Field(False, description="every visit starts with voice guidance on")
    fullscreen: bool = False
    data_dir: PathText = Field("../data", description="where the database and printer spool live; relative to this file")
    qr_base_url: str = Field("", max_length=200,
                             description="ticket QR codes point here (the hall's progress page); empty: the ticket's own code")
    hall_token: str = Field("", max_length=200,
                            description="the device token the hall server gave this terminal (python -m hall add-device)")
    hall_ca: OptionalPathText = Field("", max_length=500, description="a CA bundle for a hall server whose certificate a private CA "
                                                         "signed; relative to this file")

    @field_validator("hall")
    @classmethod
    def _hall(cls, value: str) -> str:
        if value == "embedded":
            return value
        return hall_server_url(value, 'use "embedded" or')

    @model_validator(mode="after")
    def _remote(self) -> Terminal:
        if self.hall != "embedded":
            check_hall_link(self.hall, self.hall_token)
        return self

    @field_validator("qr_base_url")
    @classmethod
    def _qr_base(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError('use an http(s) URL such as "https://hall.example.gov.cn/q/", or leave it empty')
        return value


class Devices(Strict):
    printer: str = Field("simprinter://", description="the ticket printer's URL")
    printer_profile: Literal[tuple(PROFILES)] = "80mm"  # type: ignore[valid-type]
    id_reader: str = Field("simidcard://", description="the ID card reader's URL")
    scanner: str = Field("simscanner://", description="the serial code scanner's URL")
    keyboard_scanner: str = Field("", description="a keyboard-wedge scanner's input device, read with the "
                                                  "kernel's key times (evdev:///dev/input/by-id/...-event-kbd); "
                                                  "empty: its keys type into the window")
    camera: str = Field("", description="a camera reading QR codes (v4l2:///dev/video0, rtsp://..., file://...); "
                                        "empty: none")
    camera_decoder: Literal["zxing", "zbar"] = "zxing"

    @field_validator("printer")
    @classmethod
    def _printer(cls, value: str) -> str:
        """Read as the driver reads it (devices.printer_url), without loading python-escpos."""
        from devices.printer_url import configured_printer

        _read_by(configured_printer, value)
        return value

    @field_validator("id_reader")
    @classmethod
    def _id_reader(cls, value: str) -> str:
        return _port_url(value, ID_READER_SCHEMES, "simidcard://, serial:///dev/ttyUSB0?baudrate=115200, tcp://HOST:PORT",
                         "ID card reader")

    @field_validator("camera")
    @classmethod
    def _camera(cls, value: str) -> str:
        if value:
            from devices.camera import frame_source
            _read_by(frame_source, value)
        return value

    @field_validator("keyboard_scanner")
    @classmethod
    def _keyboard_scanner(cls, value: str) -> str:
        if value:
            from devices.key_scanner import device_path
            _read_by(device_path, value)
        return value

    @field_validator("scanner")
    @classmethod
    def _scanner(cls, value: str) -> str:
        return _port_url(value, SCANNER_SCHEMES, "simscanner://, serial:///dev/ttyACM0?baudrate=9600, tcp://HOST:PORT",
                         "scanner")


def _port_url(value: str, schemes: tuple[str, ...], forms: str, device: str) -> str:
    """A serial device's URL read as its driver reads it (devices.port_url), a simulator's
    options too, so that a URL the driver cannot open stops the kiosk at start rather than in
    its log."""
    from devices.port_url import port_target
    from devices.urlhandler.simulator_urls import check_simulator_url

    def read(url: str) -> None:
        port_target(url, expected=forms, simulator=schemes[0], device=device)
        if urlsplit(url).scheme == schemes[0]:
            check_simulator_url(url)

    if urlsplit(value).scheme not in schemes:
        raise ValueError(f"use one of {forms}")
    _read_by(read, value)
    return value


def _read_by(reader: Callable[[str], object], url: str) -> None:
    """A device URL read by its driver's own reader: the BadDeviceUrl it raises is this
    configuration's error."""
    from devices.errors import BadDeviceUrl

    try:
        reader(url)
    except BadDeviceUrl as exc:
        raise ValueError(str(exc)) from None


# The databases the embedded hall runs on: dialect[+driver] of an SQLAlchemy URL, and the
# module that driver needs. Checked without loading SQLAlchemy, which the kiosk loads after
# its first frame.
DATABASE_DRIVERS = {
    "sqlite": "sqlite3",
    "sqlite+pysqlite": "sqlite3",
    "postgresql": "psycopg2",
    "postgresql+psycopg2": "psycopg2",
    "postgresql+psycopg": "psycopg",
}
DATABASE_FORMS = "sqlite:////var/lib/hall-kiosk/hall.db or postgresql+psycopg://USER@HOST/DATABASE"


class Embedded(Strict):
    hall_file: PathText = Field("hall.toml", description="the hall definition, relative to this file")
    database: str = Field("", description="an SQLAlchemy URL; empty: a SQLite file in data_dir")
    parent: str = Field("", max_length=200, description="the hall server this station reports up to (三级平台); "
                                                        "empty: none")
    parent_token: str = Field("", max_length=200, description="the uplink token python -m hall add-hall printed on "
                                                              "the parent")
    parent_ca: OptionalPathText = Field("", max_length=500, description="a CA bundle for a parent whose certificate a "
                                                                        "private CA signed; relative to this file")

    @field_validator("parent")
    @classmethod
    def _parent(cls, value: str) -> str:
        return hall_server_url(value) if value else value

    @model_validator(mode="after")
    def _reports_up(self) -> Embedded:
        if self.parent:
            check_hall_link(self.parent, self.parent_token, fields="parent is set: set parent_token",
                            command="add-hall on the parent", what="uplink token")
        return self

    @field_validator("database")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        module = DATABASE_DRIVERS.get(parts.scheme) if "://" in value else None
        if module is None:
            raise ValueError(f"use {DATABASE_FORMS}")
        if parts.scheme.startswith("sqlite"):
            path = value.split("://", 1)[1].removeprefix("/")
            if not path or path == ":memory:":
                raise ValueError("the hall needs a database file that every connection shares, "
                                 "such as sqlite:////var/lib/hall-kiosk/hall.db")
        elif not parts.hostname or not parts.path.strip("/"):
            raise ValueError(f"no database name or host; use {DATABASE_FORMS}")
        if importlib.util.find_spec(module) is None:
            package = "psycopg[binary]" if module == "psycopg" else module
            raise ValueError(f"the database driver {module} is not installed: "
                             f".venv/bin/pip install '{package}', or use sqlite")
        return value


def _sqlite_problem(path: Path) -> str | None:
    import sqlite3

    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.parent.is_dir():
        return f"the folder {str(path.parent)!r} of the database does not exist: create it, or correct the path"
    if not path.exists():
        return None if os.access(path.parent, os.W_OK) else f"cannot create {str(path)!r}: the folder is read-only"
    if not path.is_file():
        return f"{str(path)!r} is not a database file"
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            connection.execute("PRAGMA schema_version").fetchone()  # reads the file's header
        finally:
            connection.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):  # another kiosk writing: it serves
            return None
        return f"{str(path)!r} cannot be opened as a SQLite database: {exc}"
    except sqlite3.DatabaseError as exc:
        return f"{str(path)!r} is not a SQLite database ({exc}): move it away to start on a new one"
    return None


def _postgresql_problem(parts: SplitResult) -> str | None:
    """Connects once, with a short timeout."""
    import importlib

    driver = importlib.import_module(DATABASE_DRIVERS[parts.scheme])
    options = dict(parse_qsl(parts.query))
    try:
        connection = driver.connect(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
                                    password=unquote(parts.password or ""), dbname=parts.path.strip("/"),
                                    connect_timeout=3, **options)
    except driver.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database server does not serve: {first}"
    connection.close()
    return None


class Counter(Strict):
    """The counter terminal's own settings (terminal.mode = "counter"): it serves one counter
    of a hall server, with a device token of kind counter bound to that counter."""

    id: str = Field(pattern=r"^[0-9A-Za-z-]{1,8}$", description="the counter's id in hall.toml, such as 3; the "
                                                                 "hall's answer must name the same")
    thanks_seconds: int = Field(4, ge=2, le=30, strict=True, description="seconds the thank-you stays on screen")
    receipt_printer: str | None = Field(None, description="the printer beside the counter for its cases' receipts "
                                                          "(受理回执), by URL as devices.printer; none if absent")
    receipt_printer_profile: Literal[tuple(PROFILES)] = "80mm"  # type: ignore[valid-type]

    @field_validator("receipt_printer")
    @classmethod
    def _receipt_printer(cls, value: str | None) -> str | None:
        if value is not None:
            Devices._printer(value)
        return value


class KioskConfig(Strict):
    terminal: Terminal
    devices: Devices = Devices()
    embedded: Embedded = Embedded()
    counter: Counter | None = None

    @model_validator(mode="after")
    def _counter_terminal(self) -> KioskConfig:
        if self.terminal.mode == "counter":
            if self.terminal.hall == "embedded":
                raise ValueError('a counter terminal needs its hall server: set terminal.hall to its URL and '
                                 'terminal.hall_token to the token of python -m hall add-device ID --kind counter')
            if self.counter is None:
                raise ValueError("a counter terminal needs a [counter] section naming its counter (id = \"3\")")
        return self


class Settings:
    """The checked configuration with its paths resolved, and the hall it points at."""

    def __init__(self, path: Path, config: KioskConfig, hall: HallSpec | None):
        self.path = path
        self.config = config
        self.hall = hall
        base = path.parent
        try:
            self.data_dir = (base / Path(config.terminal.data_dir).expanduser()).resolve()
        except (RuntimeError, OSError) as exc:  # ~nobody, a symlink loop
            raise self._data_dir_problem(f"cannot be resolved: {exc}") from None
        self.hall_file = (base / config.embedded.hall_file).resolve()
        self.database_url = config.embedded.database or f"sqlite:///{self.data_dir / 'hall.db'}"
        self.hall_ca = str((base / config.terminal.hall_ca).resolve()) if config.terminal.hall_ca else None
        self.parent_ca = str((base / config.embedded.parent_ca).resolve()) if config.embedded.parent_ca else None

    def prepare_data_dir(self) -> None:
        """Creates the data directory and its folders and checks that it takes files: a
        data_dir that is a file, read-only or on no disk is a configuration mistake."""
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise self._data_dir_problem(f"{str(self.data_dir)!r} is not a folder")
        try:
            for folder in (self.data_dir, self.data_dir / "logs", self.data_dir / "cache"):
                folder.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise self._data_dir_problem(f"{str(self.data_dir)!r} cannot be used: "
                                         f"{exc.strerror or exc}") from None

    def check_database(self) -> None:
        """The embedded hall's database can serve: a SQLite file that is one (not a folder,
        not garbage) or a new one in a folder that exists, or a PostgreSQL server that
        answers. Otherwise a kiosk would start and say 暂停取号 for ever. Asked with the
        driver alone: SQLAlchemy loads after the first frame."""
        url = self.database_url
        parts = urlsplit(url)
        if parts.scheme.startswith("sqlite"):
            problem = _sqlite_problem(Path(url.split("://", 1)[1].removeprefix("/")).expanduser())
        else:
            problem = _postgresql_problem(parts)
        if problem is not None:
            key = ("embedded", "database") if self.config.embedded.database else ("terminal", "data_dir")
            text = self.path.read_text(encoding="utf-8")
            raise ConfigError(self.path, [Problem(".".join(key), problem, locate_line(text, key))])

    def _data_dir_problem(self, message: str) -> ConfigError:
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        return ConfigError(self.path, [Problem("terminal.data_dir", message,
                                               locate_line(text, ("terminal", "data_dir")))])

    @property
    def terminal(self) -> Terminal:
        return self.config.terminal

    @property
    def devices(self) -> Devices:
        return self.config.devices


def load_settings(path: Path | str | None = None) -> Settings:
    """Read the terminal's file and, on the embedded default, its hall definition."""
    path = Path(path or DEFAULT_CONFIG).resolve()
    config = load_model(KioskConfig, path, read_toml(path))
    hall = None
    if config.terminal.hall == "embedded":
        hall_file = path.parent / config.embedded.hall_file
        try:
            hall_file = hall_file.resolve()
            problem = None if hall_file.is_file() else "does not exist" if not hall_file.exists() else "is not a file"
        except OSError as exc:  # the folder and the name together too long, a symlink loop
            problem = f"cannot be read: {exc.strerror or exc}"
        if problem is not None:
            text = path.read_text(encoding="utf-8")
            raise ConfigError(path, [Problem("embedded.hall_file", f"{str(hall_file)!r} {problem}",
                                             locate_line(text, ("embedded", "hall_file")))])
        hall = load_hall(hall_file)
    return Settings(path, config, hall)


__all__ = ["ConfigError", "KioskConfig", "Settings", "load_settings"]
