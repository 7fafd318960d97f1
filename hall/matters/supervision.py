"""How the hall supervises its cases (电子监察): when a light turns yellow, and whom it tells
of yellow and red besides its log and the console's alarm line: an HTTP webhook (JSON signed
with HMAC-SHA256, for an SMS gateway or the county's platform) and SMTP mail, each only where
configured. The same channels tell citizens who left a phone number that documents are owed
or that their case is completed, but only where the hall says so (`webhook.citizens`, an SMS
gateway of its own, and `mail.citizen_to`), for a county's platform must not get the numbers.
Kept in supervision.toml beside hall.toml; a hall without it gets the defaults."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from hall.configfile import Strict, load_model

FILE = "supervision.toml"
SECRET_CHARACTERS = 32


class Webhook(Strict):
    url: str = Field(description="http(s) address the JSON notices are POSTed to")
    secret_file: Path = Field(description="a file holding the HMAC key (at least 32 characters), readable by "
                                          "the server alone; its signature goes in X-Hall-Signature")
    citizens: bool = Field(False, strict=True, description="true: an SMS gateway of the hall's, which also gets the "
                                                           "citizens' notices with their phone numbers")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError("use an http(s) address, such as https://sms.example.gov.cn/hall")
        return value

    def secret(self) -> bytes:
        return self.secret_file.read_bytes().strip()


class Mail(Strict):
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(min_length=1, max_length=50, description="the addresses every light's notice goes to")
    citizen_to: list[str] = Field([], max_length=5, description="where the citizens' notices go, their phone "
                                                                "numbers in the subject: an SMS gateway's mail address")

    @field_validator("to", "citizen_to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not a mail address")
        return value


class Supervision(Strict):
    yellow_days: int = Field(default=1, ge=0, le=30, strict=True,
                             description="a case turns yellow this many working days before its due day")
    hall_leader: str = Field(default="", max_length=32, description="the hall's leader in charge, told of red")
    webhook: Webhook | None = None
    mail: Mail | None = None

    @field_validator("webhook")
    @classmethod
    def _secret(cls, webhook: Webhook | None) -> Webhook | None:
        if webhook is None:
            return None
        try:
            secret = webhook.secret()
        except OSError as exc:
            raise ValueError(f"secret_file {str(webhook.secret_file)!r} cannot be read: {exc.strerror}") from None
        if len(secret) < SECRET_CHARACTERS:
            raise ValueError(f"secret_file holds {len(secret)} characters; at least {SECRET_CHARACTERS}")
        return webhook

    @property
    def channels(self) -> list[str]:
        return [name for name in ("webhook", "mail") if getattr(self, name) is not None]

    @property
    def citizen_channels(self) -> list[str]:
        """The channels that tell citizens; none: the hall takes no phone numbers for cases."""
        tells = {"webhook": self.webhook is not None and self.webhook.citizens,
                 "mail": self.mail is not None and bool(self.mail.citizen_to)}
        return [name for name, told in tells.items() if told]


def load_supervision(hall_file: Path | str) -> Supervision:
    path = Path(hall_file).resolve().parent / FILE
    return load_model(Supervision, path) if path.exists() else Supervision()
