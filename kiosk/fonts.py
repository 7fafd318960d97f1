"""Finding a font that has Chinese glyphs, before any screen is drawn.

Kivy's bundled font has no CJK glyphs: without one of these every label is a row of boxes.
Face 0 of a .ttc is what Kivy opens, so only files whose face 0 draws Simplified Chinese
forms come first (NotoSansCJK-Regular.ttc opens as its Japanese face).
"""
from __future__ import annotations

import os
from pathlib import Path

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
INSTALL_HINT = "install one with: apt-get install fonts-wqy-microhei"


class FontMissing(Exception):
    pass


def find_cjk_font(candidates: tuple[str, ...] = CANDIDATES) -> Path:
    """The first usable CJK font; HALL_KIOSK_FONT names one explicitly."""
    explicit = os.environ.get("HALL_KIOSK_FONT")
    if explicit:
        if Path(explicit).is_file():
            return Path(explicit)
        raise FontMissing(f"HALL_KIOSK_FONT={explicit!r} is not a file; {INSTALL_HINT}")
    for name in candidates:
        if Path(name).is_file():
            return Path(name)
    raise FontMissing(f"no font with Chinese characters found (looked for {', '.join(candidates)}); "
                      f"{INSTALL_HINT}")
