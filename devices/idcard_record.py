"""The resident ID card's 256-byte text block: its layout, and the typed record it decodes to.

The card stores its text as UCS-2 little-endian padded with spaces (docs/id-card-reader.md,
"The text block"); read as UTF-16LE, so a rare character outside the BMP, stored as a
surrogate pair (𠮷 is D842 DFB7), comes back whole. The layout is written once, here, for
the driver that decodes and the simulator that encodes.

Decoding checks the forms of the fields (dates, codes, the number's characters); whether the
card is acceptable (check digit, validity on a day) is kiosk.identity's judgement. Error
messages name the field, never its value: they end up in logs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from devices.errors import CardDataInvalid

TEXT_BLOCK_SIZE = 256
TEXT_ENCODING = "utf-16-le"
PADDING = " "
# (field, offset, size in bytes): docs/id-card-reader.md, "The text block".
TEXT_LAYOUT = (
    ("name", 0, 30),
    ("sex", 30, 2),
    ("nation", 32, 4),
    ("birth_date", 36, 16),
    ("address", 52, 70),
    ("id_number", 122, 36),
    ("authority", 158, 30),
    ("valid_from", 188, 16),
    ("valid_until", 204, 16),
    ("reserved", 220, 36),
)
LONG_TERM = "长期"  # valid_until of a card with no end date

_DATE = re.compile(r"[0-9]{8}")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


class Sex(enum.Enum):
    """GB/T 2261.1 codes as the card stores them."""

    MALE = "1"
    FEMALE = "2"


@dataclass(frozen=True)
class Nation:
    """民族, by its GB/T 3304 code."""

    code: str
    name: str


def _load_nations() -> dict[str, Nation]:
    lines = (Path(__file__).with_name("nations.tsv")).read_text(encoding="utf-8").splitlines()
    return {code: Nation(code, name) for code, name in (line.split("\t") for line in lines[1:] if line)}


NATIONS = _load_nations()


@dataclass(frozen=True)
class IdCardRecord:
    """What the card's text says. Personal fields are kept out of ``repr``, which logs see."""

    name: str = field(repr=False)
    sex: Sex = field(repr=False)
    nation: Nation = field(repr=False)
    birth_date: date = field(repr=False)
    address: str = field(repr=False)
    id_number: str = field(repr=False)
    authority: str = field(repr=False)
    valid_from: date
    valid_until: date | None  # None: 长期, valid with no end date


def layout_text_block(fields: Mapping[str, str]) -> bytes:
    """256 bytes holding the given fields (absent ones blank), as a card stores them."""
    unknown = set(fields) - {name for name, _, _ in TEXT_LAYOUT}
    if unknown:
        raise ValueError(f"unknown text block fields: {', '.join(sorted(unknown))}")
    block = bytearray()
    for name, offset, size in TEXT_LAYOUT:
        encoded = fields.get(name, "").encode(TEXT_ENCODING)
        if len(encoded) > size:
            raise ValueError(f"field {name} takes at most {size // 2} UTF-16 units, got {len(encoded) // 2}")
        assert len(block) == offset
        block += encoded + PADDING.encode(TEXT_ENCODING) * ((size - len(encoded)) // 2)
    return bytes(block)


def split_text_block(block: bytes) -> dict[str, str]:
    """Each field's text, padding stripped; raises CardDataInvalid for a block that is not UTF-16LE text."""
    if len(block) != TEXT_BLOCK_SIZE:
        raise CardDataInvalid(f"the text block has {len(block)} bytes, not {TEXT_BLOCK_SIZE}")
    fields = {}
    for name, offset, size in TEXT_LAYOUT:
        try:
            text = block[offset : offset + size].decode(TEXT_ENCODING)
        except UnicodeDecodeError:
            raise CardDataInvalid(f"the {name} field is not UTF-16LE text") from None
        fields[name] = text.rstrip(PADDING + "\x00")
    return fields


def _date(fields: dict[str, str], name: str) -> date:
    text = fields[name]
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataInvalid(f"the {name} field is not a date YYYYMMDD") from None


def decode_text_block(block: bytes) -> IdCardRecord:
    """The typed record; CardDataInvalid names the first field that is not in its form."""
    fields = split_text_block(block)
    if not fields["name"]:
        raise CardDataInvalid("the name field is empty")
    try:
        sex = Sex(fields["sex"])
    except ValueError:
        raise CardDataInvalid("the sex field is not 1 (male) or 2 (female)") from None
    nation = NATIONS.get(fields["nation"])
    if nation is None:
        raise CardDataInvalid("the nation field is not a GB/T 3304 code (two digits listed in nations.tsv)")
    if not _ID_NUMBER.fullmatch(fields["id_number"]):
        raise CardDataInvalid("the id_number field is not 17 digits and a check character")
    valid_until = None if fields["valid_until"] == LONG_TERM else _date(fields, "valid_until")
    return IdCardRecord(
        name=fields["name"],
        sex=sex,
        nation=nation,
        birth_date=_date(fields, "birth_date"),
        address=fields["address"],
        id_number=fields["id_number"],
        authority=fields["authority"],
        valid_from=_date(fields, "valid_from"),
        valid_until=valid_until,
    )
