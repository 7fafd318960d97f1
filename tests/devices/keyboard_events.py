"""Key presses as a keyboard-wedge scanner's input device delivers them: struct input_event
records with the times the kernel took them, for a FIFO standing in for /dev/input/eventN."""
from __future__ import annotations

from devices.key_scanner import ENTER, EV_KEY, INPUT_EVENT, KEYS

SHIFT = 42
CODES = {char: (code, shifted) for code, chars in KEYS.items() for shifted, char in enumerate(chars)}


def event(at: float, code: int, value: int) -> bytes:
    return INPUT_EVENT.pack(int(at), round((at - int(at)) * 1e6), EV_KEY, code, value)


def typed(text: str, start: float, gap: float) -> list[bytes]:
    """One record group per key: each pressed ``gap`` seconds after the one before, from ``start``."""
    keys = []
    for i, char in enumerate(text):
        at = start + i * gap
        code, shifted = (28, False) if char == ENTER else CODES[char]
        group = [event(at, code, 1), event(at + 0.001, code, 0)]
        if shifted:
            group = [event(at, SHIFT, 1), *group, event(at + 0.001, SHIFT, 0)]
        keys.append(b"".join(group))
    return keys
