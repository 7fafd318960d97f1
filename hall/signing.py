"""Signing short messages with the hall's secret key (HMAC-SHA256), so that what the hall
hands out on paper (a ticket's link, a booking code) can be checked when it comes back and
cannot be guessed or made up.

Every signature is made for a purpose ("ticket", "booking", ...), which is part of what is
signed: a ticket's signature never passes as a booking's. The key is made at first use and
kept in the hall's database (table hall_secrets), never in the repository or a file of ours.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall.errors import HallError
from hall.models import HallSecret

KEY_NAME = "signing"
MAC_BYTES = 16       # 128 bits: out of reach of guessing, and short enough for a small QR code
PURPOSE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class BadSignature(HallError):
    """A token that this hall did not sign for this purpose, or that was altered."""


class Signer:
    def __init__(self, key: bytes):
        if len(key) < 32:
            raise ValueError("a signing key needs at least 32 bytes")
        self._key = key

    def sign(self, purpose: str, message: str) -> str:
        """`message` and its signature as one URL-safe token: MESSAGE.SIGNATURE."""
        if "." in message:
            raise ValueError(f"the message {message!r} may not hold a dot")
        return f"{message}.{self._mac(purpose, message)}"

    def verify(self, purpose: str, token: str) -> str:
        """The message of a token signed for `purpose`; raises BadSignature otherwise."""
        message, dot, mac = token.rpartition(".")
        if not dot or not message or not hmac.compare_digest(mac.encode(), self._mac(purpose, message).encode()):
            raise BadSignature(f"not a valid {purpose} token")
        return message

    def _mac(self, purpose: str, message: str) -> str:
        if not PURPOSE.match(purpose):
            raise ValueError(f"purpose {purpose!r}: use a short lower-case word")
        digest = hmac.new(self._key, f"{purpose}\0{message}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:MAC_BYTES]).rstrip(b"=").decode()


def hall_signer(session: Session, *, hall_id: str) -> Signer:
    """The hall's signer, making and storing its key on first use. Two servers starting at
    once both try; the primary key keeps the first, and the second reads it."""
    key = _stored_key(session, hall_id=hall_id)
    if key is None:
        try:
            with session.begin_nested():
                session.add(HallSecret(hall_id=hall_id, name=KEY_NAME, value=secrets.token_hex(32)))
        except IntegrityError:
            pass
        key = _stored_key(session, hall_id=hall_id)
    return Signer(bytes.fromhex(key))


def _stored_key(session: Session, *, hall_id: str) -> str | None:
    return session.scalar(select(HallSecret.value).where(HallSecret.hall_id == hall_id,
                                                         HallSecret.name == KEY_NAME))
