"""The hall server's settings: command-line options over HALL_* environment variables over
defaults, checked at start-up like every configuration of ours."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hall.person_keys import KEY_FILE
from hall.errors import StorageUnusable

DEFAULT_HALL = Path(__file__).resolve().parent.parent / "config" / "hall.toml"
DATABASES = ("sqlite", "postgresql")


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HALL_", extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="the address to listen on; 0.0.0.0 for the hall's network")
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Field(Path("data"), description="the SQLite database and logs live here")
    database: str = Field("", description="an SQLAlchemy URL; empty: DATA_DIR/hall.db (SQLite)")
    hall_file: Path = Field(DEFAULT_HALL, description="the hall definition (hall.toml)")
    public_url: str = Field("", description="the address phones use to reach this server, for ticket QR codes; "
                                             "empty: the address each request came to")
    offline_after: int = Field(120, ge=2, le=3600, description="seconds of silence before a kiosk counts as offline")
    person_key_file: Path | None = Field(None, description="the key behind person hashes, kept out of the database "
                                                      "(docs/privacy.md); empty: DATA_DIR/person.key")

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("name a folder, such as /var/lib/hall; an empty one would mean the current folder")
        return value

    @field_validator("database")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value:
            return value
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL; use postgresql+psycopg://USER@HOST/DB "
                             "or sqlite:////var/lib/hall/hall.db") from None
        if backend not in DATABASES:
            raise ValueError(f"{value!r}: use PostgreSQL or SQLite")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError(f"{value!r}: use the server's http(s) address, such as https://hall.example.gov.cn")
        return value.rstrip("/")

    def prepare_data_dir(self) -> None:
        """Makes the data folder if it is missing, but not its parents (a missing parent is a
        mistyped path), and checks that the server can write there."""
        try:
            self.data_dir.mkdir(exist_ok=True)
        except FileExistsError:
            raise StorageUnusable(f"--data-dir {str(self.data_dir)!r} is a file; name a folder") from None
        except FileNotFoundError:
            raise StorageUnusable(f"--data-dir {str(self.data_dir)!r}: its parent folder "
                                  f"{str(self.data_dir.parent)!r} does not exist; correct the path "
                                  "or create the parent first") from None
        except OSError as exc:
            raise StorageUnusable(f"--data-dir {str(self.data_dir)!r} cannot be made: {exc.strerror}") from None
        if not os.access(self.data_dir, os.W_OK | os.X_OK):
            raise StorageUnusable(f"--data-dir {str(self.data_dir)!r} is not writable by this user; "
                                  "give it to the server's user (chown)")

    @property
    def person_key_path(self) -> Path:
        return self.person_key_file or self.data_dir / KEY_FILE

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data_dir.resolve() / 'hall.db'}"
