"""Ticket printer variants as data: paper width, text encoding and the sizes that fit.

Printers differ by roll width (58 mm or 80 mm) and by what they accept; the layout reads
these values instead of branching on a model name, so a new printer is a new entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import UnknownPrinterProfile


@dataclass(frozen=True)
class PrinterProfile:
    """What the ticket layout needs to know about one printer model.

    ``columns`` counts font A half-width cells (12 x 24 dots); a Chinese character takes two.
    ``number_size`` is the ``GS !`` byte for the ticket number (high nibble width - 1, low
    nibble height - 1); the layout shrinks it when a long number would not fit the line.
    """

    name: str
    columns: int
    dots_per_line: int
    encoding: str = "gb18030"
    chinese_mode: bool = True
    qr_module_size: int = 6
    number_size: int = 0x55
    cut: str = "partial"  # "partial", "full" or "none" (printers without a cutter)
    feed_lines_before_cut: int = 4

    def __post_init__(self) -> None:
        if self.cut not in ("partial", "full", "none"):
            raise ValueError(f"profile {self.name!r}: cut must be 'partial', 'full' or 'none', not {self.cut!r}")
        if not 1 <= self.qr_module_size <= 16:
            raise ValueError(f"profile {self.name!r}: qr_module_size must be 1..16, not {self.qr_module_size!r}")
        if not 0 <= self.number_size <= 0x77 or self.number_size & 0x88:
            raise ValueError(f"profile {self.name!r}: number_size must be a GS ! byte 0x00..0x77, not {self.number_size:#x}")
        if not 0 <= self.feed_lines_before_cut <= 255:
            raise ValueError(f"profile {self.name!r}: feed_lines_before_cut must be 0..255 (ESC d n)")
        if self.columns < 16 or self.dots_per_line < self.columns:
            raise ValueError(f"profile {self.name!r}: columns {self.columns} / dots {self.dots_per_line} make no sense")

    @property
    def dots_per_column(self) -> int:
        """Width of one half-width cell in dots (12 for font A on both common widths)."""
        return self.dots_per_line // self.columns


PROFILES: dict[str, PrinterProfile] = {
    # 80 mm roll, 72 mm printable: 576 dots, 48 columns of font A. The number at 6x6
    # (72 x 144 dots per digit, 18 mm tall) leaves room for a tag beside it.
    "80mm": PrinterProfile(name="80mm", columns=48, dots_per_line=576, qr_module_size=6, number_size=0x55),
    # 58 mm roll, 48 mm printable: 384 dots, 32 columns. 8x would fill the whole line with
    # "A001"; 5x5 keeps a margin and a tag.
    "58mm": PrinterProfile(name="58mm", columns=32, dots_per_line=384, qr_module_size=5, number_size=0x44),
}


def get_profile(name: str) -> PrinterProfile:
    """Look a profile up by its configured name, failing with the names that would work."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(repr(n) for n in sorted(PROFILES))
        raise UnknownPrinterProfile(f"unknown printer profile {name!r}; known profiles: {known}") from None
