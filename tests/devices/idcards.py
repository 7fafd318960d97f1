"""Cards for the reader tests, as their text fields are stored on the card."""
from __future__ import annotations

from devices.urlhandler.protocol_simidcard import SAMPLE_CARD_FIELDS

# GB 11643-1999 written out independently of kiosk.identity: weight 2^(17-i) mod 11, and the
# ISO 7064 MOD 11-2 check value (12 - sum mod 11) mod 11, with 10 written X.


def with_check_character(first17: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return first17 + ("X" if value == 10 else str(value))


def card_fields(**changes: str) -> dict[str, str]:
    """The sample card's fields with some changed; a new birth date also goes into the number."""
    fields = {**SAMPLE_CARD_FIELDS, **changes}
    if "birth_date" in changes and "id_number" not in changes:
        fields["id_number"] = with_check_character("110105" + changes["birth_date"] + "002")
    return fields


def card_toml(*cards: dict[str, str]) -> str:
    """A simidcard card file holding the given cards in turn."""
    tables = []
    for fields in cards:
        lines = "\n".join(f'{key} = "{value}"' for key, value in fields.items())
        tables.append(f"[[card]]\n{lines}\n")
    return "\n".join(tables)
