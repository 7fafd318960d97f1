"""Administrative codes (GB/T 2260: six digits, province, city, county; the statistical codes
below: nine digits for a town or street, twelve for a village or community). A region's
place in the tree is read from its code's digits alone; names are data the parent keeps."""
from __future__ import annotations

import re

CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
CODE_FORM = "6 digits for a province, city or county (510000, 511500, 511525), 9 for a town, 12 for a village"


class BadRegion(ValueError):
    pass


def check(code: str) -> str:
    if not CODE.fullmatch(code or "") or code[:2] == "00":
        raise BadRegion(f"region {code!r} is not an administrative code: use {CODE_FORM}")
    return code


def prefix(code: str) -> str:
    """The digits every region inside this one starts with: 51 for Sichuan (510000), 5115
    for Yibin (511500), the whole code below the county."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def contains(outer: str, inner: str) -> bool:
    return inner.startswith(prefix(outer))


def parent(code: str) -> str | None:
    """The region directly above: a village's town, a town's county, a county's city, a
    city's province; None for a province."""
    if len(code) == 12:
        return code[:9]
    if len(code) == 9:
        return code[:6]
    if code.endswith("0000"):
        return None
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


def chain(code: str) -> list[str]:
    """The region and every region above it, outermost first."""
    found = [code]
    while (up := parent(found[-1])) is not None:
        found.append(up)
    return found[::-1]
