"""The one module a citizen's personal data passes: checks, masking, hashing, and the little
that may leave the reading step.

A card read gives name, address, number, birth date and more; the kiosk needs far less. What
goes on (to the flow, the hall, a log, a ticket) is an :class:`Identification`: the masked
number for display, a salted hash for "one ticket per person" rules, and the birth date for
the green channel by age. Nothing else, so nothing else can be written anywhere.

The ID number follows GB 11643-1999: six digits of region, eight of birth date, three of
sequence (odd for men), and an ISO 7064 MOD 11-2 check character (docs/id-card-reader.md).

Refusals carry ``key`` and ``fields`` for the citizen's message in the translation layer;
their English text is for logs and shows only the masked number.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from devices.idcard_record import LONG_TERM, IdCardRecord

# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
ID_NUMBER_LENGTH = 18
MIN_SALT_BYTES = 16
SHOWN_ADDRESS_CHARACTERS = 6  # about the region (省市区); the street and house stay hidden
# Two-character surnames (复姓) common enough that showing one character would mislead.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 南宫 独孤 "
    "西门 呼延 万俟 百里 东郭 钟离 闻人 澹台 公羊 赫连 申屠 太史 濮阳 淳于 单于 拓跋".split()
)

_NUMBER_FORM = re.compile(r"[0-9]{17}[0-9X]")


class IdentityRefused(Exception):
    """A card or number the kiosk must not accept."""

    key = "identity.invalid_number"

    def __init__(self, message: str, **fields: str) -> None:
        super().__init__(message)
        self.fields = fields


class InvalidIdNumber(IdentityRefused):
    """Not an ID number: wrong length or characters, no real birth date, wrong check character,
    or a number that disagrees with its own card."""

    key = "identity.invalid_number"


class CardExpired(IdentityRefused):
    """The card's validity ended before today (``fields["until"]``, YYYY-MM-DD)."""

    key = "identity.expired"


class CardNotYetValid(IdentityRefused):
    """The card's validity starts after today (``fields["since"]``): a wrong clock or a bad card."""

    key = "identity.not_yet_valid"


def check_character(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are given."""
    if len(first17) != ID_NUMBER_LENGTH - 1 or not first17.isdigit() or not first17.isascii():
        raise ValueError("the check character is computed over 17 digits")
    return CHECK_CHARACTERS[sum(w * int(d) for w, d in zip(WEIGHTS, first17)) % 11]


def birth_date_of(number: str) -> date:
    """The birth date written in digits 7-14 of a number already in its form."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate_id_number(number: str) -> None:
    """Raise InvalidIdNumber unless the number has its form, a real birth date and its check character."""
    masked = mask_id_number(number)
    if not _NUMBER_FORM.fullmatch(number):
        raise InvalidIdNumber(f"ID number {masked}: not 17 digits and a check character (0-9 or X)")
    try:
        birth_date_of(number)
    except ValueError:
        raise InvalidIdNumber(f"ID number {masked}: digits 7-14 are not a birth date") from None
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber(f"ID number {masked}: wrong check character")


def mask_id_number(number: str) -> str:
    """``1101**********1234``: the region's first four and the last four characters stay."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """The surname and one star: 王*, 欧阳*."""
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "*"


def mask_address(address: str) -> str:
    """The address's first characters (the region) and stars for the rest."""
    shown = address[:SHOWN_ADDRESS_CHARACTERS]
    return shown + "*" * min(len(address) - len(shown), 3)


def age_on(birth_date: date, day: date) -> int:
    """Whole years on ``day``; someone born on 29 February turns a year older on 1 March."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def number_hash(number: str, salt: bytes) -> str:
    """A keyed hash of the number, the only form in which it may be kept.

    HMAC-SHA256 keyed with the salt, the hall's key of the day (Hall.person_salt): ID numbers
    are few enough (a region, a date, three digits) to be tried one by one, so without a
    secret key, kept out of the hall's database, a plain hash would hide nothing; and a key
    of the day links no visits across days.
    """
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"the salt must have at least {MIN_SALT_BYTES} bytes")
    return hmac.new(salt, number.upper().encode("ascii", "replace"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identification:
    """What may leave the reading step: nothing here names, locates or shows the person."""

    masked_number: str
    number_hash: str
    birth_date: date  # for the green channel by age
    # The number's hash under the hall's key for cases (Hall.case_salt): it finds the citizen's
    # cases (办件) of the last 90 days; None where that key could not be had.
    case_hash: str | None = None

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def check_card(record: IdCardRecord, today: date) -> None:
    """Raise IdentityRefused unless the card's number is valid and the card is valid today."""
    validate_id_number(record.id_number)
    masked = mask_id_number(record.id_number)
    if birth_date_of(record.id_number) != record.birth_date:
        raise InvalidIdNumber(f"ID number {masked}: its birth date differs from the card's")
    if record.valid_from > today:
        raise CardNotYetValid(f"ID card {masked}: valid only from {record.valid_from}",
                              since=record.valid_from.isoformat())
    if record.valid_until is not None and record.valid_until < today:
        raise CardExpired(f"ID card {masked}: expired on {record.valid_until}",
                          until=record.valid_until.isoformat())


def identify(record: IdCardRecord, *, today: date, salt: bytes, case_salt: bytes | None = None) -> Identification:
    """Check the card (IdentityRefused) and keep only what may leave the reading step: with
    `case_salt`, the hash that finds the citizen's cases too (the one the hall keeps with a
    case: hall.matters.applicants.lookup_hash)."""
    check_card(record, today)
    return Identification(masked_number=mask_id_number(record.id_number),
                          number_hash=number_hash(record.id_number, salt),
                          birth_date=record.birth_date,
                          case_hash=number_hash(record.id_number, case_salt) if case_salt else None)


def technician_view(record: IdCardRecord, today: date) -> dict[str, object]:
    """The record for a technician checking a reader: every field decoded, personal ones masked,
    and whether the kiosk would accept the card today. The birth date keeps its year only:
    its month and day are digits the masked number hides, which would otherwise give it away
    but for two."""
    try:
        check_card(record, today)
        refused = None
    except IdentityRefused as e:
        refused = str(e)
    return {
        "name": mask_name(record.name),
        "sex": record.sex.name.lower(),
        "nation": {"code": record.nation.code, "name": record.nation.name},
        "birth_date": f"{record.birth_date:%Y}-**-**",
        "age": age_on(record.birth_date, today),
        "address": mask_address(record.address),
        "id_number": mask_id_number(record.id_number),
        "authority": record.authority,
        "valid_from": record.valid_from.isoformat(),
        "valid_until": record.valid_until.isoformat() if record.valid_until else LONG_TERM,
        "accepted": refused is None,
        "refused": refused,
    }
