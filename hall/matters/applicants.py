"""What a case keeps of its applicant: the ID number masked, and a hash of it under the
hall's key for cases (hall.person_keys), by which their ID card later finds their cases,
until 90 days after the case closed. The number itself is used for these two and
forgotten: never stored, logged or sent on.

A citizen may also leave a phone number to be told when documents are owed and when the
case is completed (hall.matters.notices). It is kept on the case while it is open, shown to
staff masked (138****5678), and written whole only into the notices that need it.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from hall.errors import InvalidInput
from hall.models import MatterCase
from hall.person_keys import PersonKeys

ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
MASKED_ID = r"^[0-9]{4}\*{10}[0-9]{3}[0-9Xx]$"  # as masked() leaves it
LOOKUP_DAYS = 90  # a closed case's lookup hash is kept this long


@dataclass(frozen=True)
class Applicant:
    masked: str
    person_hash: str


def masked(number: str) -> str:
    """``1101**********1234``, as every screen, ticket and page shows it."""
    return number[:4] + "*" * 10 + number[-4:]


def national(phone: str) -> str:
    """The number as a gateway dials it in China: the digits, without +86 (hall.schemas.Phone
    has checked it is a mobile or a landline with its area code)."""
    digits = re.sub(r"[^0-9]", "", phone)
    return digits[2:] if phone.startswith(("+86", "86")) else digits


def masked_phone(phone: str) -> str:
    """``138****5678``: the first three digits and the last four stay."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def lookup_hash(keys: PersonKeys, number: str) -> str:
    if not re.fullmatch(ID_NUMBER, number):
        raise InvalidInput("id_number", "is not an ID number of 17 digits and a check character")
    return hmac.new(keys.for_matters(), number.upper().encode("ascii"), hashlib.sha256).hexdigest()


def forget_lookup_hashes(session: Session, *, hall_id: str, now: datetime) -> int:
    """Clears the lookup hashes of the cases closed LOOKUP_DAYS or more ago: a citizen's ID
    card finds their cases of the last 90 days, and nothing older. Returns how many."""
    return session.execute(update(MatterCase).where(
        MatterCase.hall_id == hall_id, MatterCase.closed_at <= now - timedelta(days=LOOKUP_DAYS),
        MatterCase.person_hash.is_not(None)).values(person_hash=None)).rowcount
