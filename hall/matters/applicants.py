"""What a case keeps of its applicant: the ID number masked, and a hash of it under the
hall's key for cases (hall.person_keys), by which their ID card later finds their cases.
The number itself is used for these two and forgotten: never stored, logged or sent on."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from hall.errors import InvalidInput
from hall.person_keys import PersonKeys

ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"


@dataclass(frozen=True)
class Applicant:
    masked: str
    person_hash: str


def masked(number: str) -> str:
    """``1101**********1234``, as every screen, ticket and page shows it."""
    return number[:4] + "*" * 10 + number[-4:]


def lookup_hash(keys: PersonKeys, number: str) -> str:
    if not re.fullmatch(ID_NUMBER, number):
        raise InvalidInput("id_number", "is not an ID number of 17 digits and a check character")
    return hmac.new(keys.for_matters(), number.upper().encode("ascii"), hashlib.sha256).hexdigest()
