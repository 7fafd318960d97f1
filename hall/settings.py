"""The hall server's settings: command-line options over HALL_* environment variables over
defaults, checked at start-up like every configuration of ours."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hall.person_keys import KEY_FILE

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

    @property
    def person_key_path(self) -> Path:
        return self.person_key_file or self.data_dir / KEY_FILE

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data_dir.resolve() / 'hall.db'}"
