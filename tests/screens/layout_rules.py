"""The rules every kiosk screen keeps, checked on its live widget tree.

- everything drawn lies inside the window and inside every widget that holds it, and nothing
  drawn overlaps anything else (a widget and the widgets inside it aside); a label's text
  fits its own box;
- text contrast against what is behind it: 4.5:1, or 3:1 for text above 18 dp (WCAG 2.1);
- multi-line text at least 1.3 times its font size apart (适老化 rules for elderly users);
- no word broken inside (a Latin word wrapped as "Norma / l");
- touch targets at least 60 × 60 dp in large type and 44 × 44 dp otherwise;
- in large type, no text smaller than 18 dp.

A walk through a terminal's screens `settle`s each window size, language and type size and
`shoot`s each screen: its checks, and a picture to look at.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kivy.core.window import Window
from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image
from kivy.uix.label import Label

TOLERANCE = 0.5  # px: rounding in Kivy's own layout


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def top(self) -> float:
        return self.y + self.h

    def inside(self, other: Box) -> bool:
        return (self.x >= other.x - TOLERANCE and self.y >= other.y - TOLERANCE
                and self.right <= other.right + TOLERANCE and self.top <= other.top + TOLERANCE)

    def overlaps(self, other: Box) -> bool:
        return (min(self.right, other.right) - max(self.x, other.x) > TOLERANCE
                and min(self.top, other.top) - max(self.y, other.y) > TOLERANCE)

    def __str__(self) -> str:
        return f"({self.x:.0f},{self.y:.0f} {self.w:.0f}×{self.h:.0f})"


def window_box(widget) -> Box:
    x, y = widget.to_window(widget.x, widget.y)
    return Box(x, y, widget.width, widget.height)


def text_box(label: Label) -> Box:
    """Where a label's text is drawn: its texture, centred on the widget (Kivy's Label rule)."""
    tw, th = label.texture_size
    cx, cy = label.to_window(label.center_x, label.center_y)
    return Box(cx - tw / 2, cy - th / 2, tw, th)


def visible(widget) -> bool:
    node = widget
    while node is not None and node is not Window:
        if node.opacity == 0 or node.width <= 0 or node.height <= 0:
            return False
        node = node.parent
    return True


def name(widget) -> str:
    text = getattr(widget, "text", "")
    label = f" {text[:30]!r}" if text else ""
    return f"{type(widget).__name__}{label}"


def is_ancestor(a, b) -> bool:
    node = b.parent
    while node is not None and node is not Window:
        if node is a:
            return True
        node = node.parent
    return False


def luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def over(top, alpha: float, bottom) -> tuple[float, float, float]:
    return tuple(t * alpha + u * (1 - alpha) for t, u in zip(top[:3], bottom[:3]))


def fills(widget) -> list[tuple[tuple, Box]]:
    """The solid fills a widget paints behind its content (canvas.before: Color, then a
    Rectangle or RoundedRectangle), in window coordinates, last painted last."""
    out, color = [], None
    for instruction in widget.canvas.before.children:
        if isinstance(instruction, Color):
            color = tuple(instruction.rgba)
        elif isinstance(instruction, (Rectangle, RoundedRectangle)) and color is not None:
            x, y = instruction.pos  # in the frame widget.pos is in, as the kv rules draw them
            w, h = instruction.size
            wx, wy = widget.to_window(x, y)
            out.append((color, Box(wx, wy, w, h)))
    return out


def background(widget, box: Box) -> tuple[float, float, float]:
    """The colour behind `box`: fills of the widget and its ancestors, nearest first,
    composited down to an opaque one (white if none, as Kivy clears to black but every
    screen paints its own background)."""
    layers = []
    node = widget
    while node is not None and node is not Window:
        for color, fill in reversed(fills(node)):
            if box.inside(fill) or (fill.overlaps(box) and node is widget):
                layers.append(tuple(c * (node.opacity if node is widget else 1) for c in color[:3]) + (color[3],))
        node = node.parent
    result = (1.0, 1.0, 1.0)
    for color in reversed(layers):
        result = over(color, color[3], result)
    return result


def broken_word(label: Label) -> str | None:
    """A Latin word wrapped across two lines, as "Norma / l text"."""
    lines = ["".join(w.text for w in line.words) for line in label._label._cached_lines]
    text = label.text
    pos = 0
    for line in lines[:-1]:
        found = text.find(line, pos)
        if found < 0 or not line:
            continue
        end = found + len(line)
        if 0 < end < len(text) and text[end - 1].isascii() and text[end - 1].isalnum() \
                and text[end].isascii() and text[end].isalnum():
            return f"{text[max(0, end - 8):end]} / {text[end:end + 8]}"
        pos = end
    return None


def check(screen, *, large_type: bool) -> list[str]:
    """Every rule broken on `screen`, one line each."""
    problems: list[str] = []
    win = Box(0, 0, Window.width, Window.height)
    widgets = [w for w in screen.walk(restrict=True) if visible(w)]
    drawn: list[tuple[object, Box]] = []
    for w in widgets:
        if isinstance(w, Label) and w.text.strip():
            w.texture_update()
            box = text_box(w)
            own = window_box(w)
            if not box.inside(own):
                problems.append(f"{name(w)}: text {box} does not fit its box {own}")
            drawn.append((w, box))
            fg = over(w.color, w.color[3], background(w, box))
            ratio = contrast(fg, background(w, box))
            need = 3.0 if w.font_size > dp(18) else 4.5
            if ratio < need:
                problems.append(f"{name(w)}: contrast {ratio:.2f}:1, needs {need}:1")
            lines = w._label._cached_lines
            if len(lines) > 1:
                spacing = (sum(line.h for line in lines) / len(lines)) / w.font_size
                if spacing < 1.3 - 1e-6:
                    problems.append(f"{name(w)}: line spacing {spacing:.2f} of the font size, needs 1.3")
            broken = broken_word(w)
            if broken:
                problems.append(f"{name(w)}: word broken across lines: {broken}")
            if large_type and w.font_size < dp(18) - 1e-6:
                problems.append(f"{name(w)}: {w.font_size / dp(1):.1f} dp text in large type, needs 18")
        if isinstance(w, ButtonBehavior) and not w.disabled:
            least = 60 if large_type else 44
            if w.width < dp(least) or w.height < dp(least):
                problems.append(f"{name(w)}: touch target {w.width / dp(1):.0f}×{w.height / dp(1):.0f} dp, "
                                f"needs {least}×{least}")
            drawn.append((w, window_box(w)))
        elif isinstance(w, Image) and w.texture is not None:
            drawn.append((w, window_box(w)))
    for w, box in drawn:
        if not box.inside(win):
            problems.append(f"{name(w)}: {box} is outside the window {win.w:.0f}×{win.h:.0f}")
        # Inside every box that holds it: a screen's body taller than the room between the
        # hall's name and the switches pushes its first line under the name's bar, where
        # only its holders, not its text, cross the bar.
        holder = w.parent
        while holder is not None and holder is not Window and holder is not screen:
            held = window_box(holder)
            if not window_box(w).inside(held):
                problems.append(f"{name(w)}: {window_box(w)} spills out of {name(holder)} {held}")
                break
            holder = holder.parent
    for i, (a, box_a) in enumerate(drawn):
        for b, box_b in drawn[i + 1:]:
            if a is b or is_ancestor(a, b) or is_ancestor(b, a):
                continue
            if box_a.overlaps(box_b):
                problems.append(f"{name(a)} {box_a} overlaps {name(b)} {box_b}")
    return problems


def settle(ui, size: tuple[int, int], language: str, large_type: bool) -> None:
    """The window at `size` and the visit in `language` and type size, drawn."""
    if tuple(Window.size) != size:
        Window.size = size
        ui.frames(3)
    flow = ui.app.flow
    if flow.visit.language != language:
        flow.set_language(language)
    if flow.visit.large_type != large_type:
        flow.toggle_large_type()
    ui.frames(2)


def walk_pictures(root: Path, size: tuple[int, int], language: str, large_type: bool) -> tuple[Path, str]:
    """The folder of a walk's pictures in this window size, made, and the tag their names
    start with ("en-large")."""
    folder = root / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder, f"{language}-{'large' if large_type else 'normal'}"


def broken(problems: dict) -> str:
    """What a walk found, shot by shot, for its failure's message."""
    return "\n".join(f"{shot}:\n  " + "\n  ".join(found) for shot, found in problems.items())


def shoot(ui, folder: Path, name: str, problems: dict, large_type: bool) -> None:
    """Checks the screen on show, adds what breaks a rule to `problems` under `name`, and
    saves its picture as `name`.png in `folder`."""
    ui.frames(3)
    found = check(ui.screen, large_type=large_type)
    if found:
        problems[name] = found
    ui.app.root.export_to_png(str(folder / f"{name}.png"))
