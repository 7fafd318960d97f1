"""Loading TOML configuration files into pydantic models, with errors a technician can act on.

A hall is set up by someone editing a text file on a kiosk in a corridor; a traceback tells
them nothing. Every problem is reported with the file, the line, the key path and what is
allowed, all problems at once, so one edit fixes them all.
"""
from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from hall.errors import HallError


class Strict(BaseModel):
    """The base of every configuration model: unknown keys are mistakes, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    line: int | None = None


class ConfigError(HallError):
    """A configuration file that cannot be used; the program stops with exit code 2."""

    def __init__(self, file: Path | str, problems: list[Problem]):
        self.file = str(file)
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"configuration error in {self.file}:"
        rows = []
        for p in self.problems:
            where = f"line {p.line}, " if p.line else ""
            key = f"{p.key}: " if p.key else ""
            rows.append(f"  {where}{key}{p.message}")
        return "\n".join([head, *rows])


def read_toml(path: Path) -> dict:
    """Parse a TOML file; a syntax error keeps tomllib's line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [Problem("", f"cannot be read: {exc}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError(path, [Problem("", f"not valid TOML: {exc}", line)]) from None


M = typing.TypeVar("M", bound=BaseModel)


def load_model(model: type[M], path: Path, data: dict | None = None) -> M:
    """Validate a file's contents against `model`, translating every error into a Problem."""
    path = Path(path)
    if data is None:
        data = read_toml(path)
    try:
        return model.model_validate(data, context={"file": path})
    except ValidationError as exc:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        problems = [_problem(model, err, text) for err in exc.errors()]
        raise ConfigError(path, problems) from None


def _problem(model: type[BaseModel], err: dict, text: str) -> Problem:
    loc = tuple(err["loc"])
    key = _dotted(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown key {loc[-1]!r}"
        if allowed:
            message += f"; allowed keys here: {', '.join(allowed)}"
    elif kind == "missing":
        message = "is required but missing"
    elif kind == "string_pattern_mismatch" and (field := _field_at(model, loc)) and field.description:
        message = f"{err['input']!r} is not allowed: use {field.description}"
    else:
        message = err["msg"].removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], (dict, list)):
            message = f"{_clipped(err['input'])} is not allowed: {message}"
    return Problem(key, message, locate_line(text, loc))


def _clipped(value: object, limit: int = 80) -> str:
    """The value's repr, its middle left out when long: a 100,000-character path in a
    message hides what is wrong with it."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]}…{text[-limit // 4:]} ({len(str(value)):,} characters)"


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a nested model accepts."""
    current = _annotation_at(model, loc)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return []


def _field_at(model: type[BaseModel], loc: tuple):
    """The pydantic field a location ends in, for its description."""
    parent = _annotation_at(model, loc[:-1])
    if loc and isinstance(parent, type) and issubclass(parent, BaseModel):
        return parent.model_fields.get(loc[-1])
    return None


def _annotation_at(model: type[BaseModel], loc: tuple) -> typing.Any:
    """Walks the models' annotations along `loc`, through lists and optionals."""
    current: typing.Any = model
    for part in loc:
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else current
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if typing.get_origin(current) in (list, tuple) and args:
            current = args[0]
        elif args and len(args) == 1:
            current = args[0]
    return current


_TABLE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def locate_line(text: str, loc: tuple) -> int | None:
    """The line of `text` that best matches a validation location, such as
    ("services", 3, "prefix"): the key itself if it is written out, else its table header.

    tomllib keeps no positions, so this re-reads the file's lines, tracking table headers and
    counting array-of-tables entries; it is a best effort for pointing a person at a line.
    """
    target = [str(p) for p in loc]
    best_line, best_len = None, 0
    table: list[str] = []
    counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
        header = _TABLE.match(line)
        if header and not line.lstrip().startswith(("\"", "'")) and "=" not in line:
            name = header.group(1).strip()
            path = name.split(".")
            if line.lstrip().startswith("[["):
                counts[name] = counts.get(name, -1) + 1
                path = [*path, str(counts[name])]
            table = path
            candidate = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            candidate = table + [k.strip().strip("\"'") for k in key.group(1).split(".")]
        matched = 0
        for a, b in zip(candidate, target):
            if a != b:
                break
            matched += 1
        if matched == len(candidate) and matched > best_len:
            best_line, best_len = number, matched
        elif matched == len(target) and best_len < matched:  # first entry of a table array
            best_line, best_len = number, matched
    return best_line
