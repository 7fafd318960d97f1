"""The hall's catalogue of matters (事项, its 实施清单): what each matter is, who handles it,
how long it may take, what it needs (the 办事指南), and whom to call.

Kept in the folder `matters/` beside hall.toml, one TOML file per department (or service),
so that each department edits its own. Every file is checked at start-up, and all of them
together (a matter code used in two files, a service hall.toml does not know), so that one
start-up names every problem with its file and line, as hall.toml's own check does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from hall.configfile import ConfigError, Problem, Strict, load_model, locate_line, read_toml
from hall.spec import HallSpec, Names

FOLDER = "matters"  # beside hall.toml
MAX_DAYS = 365      # working days: no legal limit comes near a year and a half of them
CODE = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
PHONE = r"^[0-9+][0-9 -]{2,23}$"


class Text(Strict):
    """A longer text of a guide in each language (conditions, a step); zh_CN stands in for a
    missing one."""

    zh_CN: str = Field(min_length=1, max_length=500)
    zh_TW: str | None = Field(None, max_length=500)
    en: str | None = Field(None, max_length=500)

    def get(self, language: str) -> str:
        return getattr(self, language, None) or self.zh_CN


class Document(Strict):
    """One of the documents a matter requires (申请材料)."""

    name: Names
    form: Literal["original", "copy", "original_and_copy"] = Field(
        default="original", description="original, copy or original_and_copy (原件, 复印件, 原件及复印件)")
    copies: int = Field(default=1, ge=1, le=20, strict=True)
    electronic: bool = Field(default=False, description="accepted as an electronic document (电子材料)")
    source: str | None = Field(None, max_length=80, description="where the citizen gets it (来源渠道)")


class Matter(Strict):
    code: str = Field(pattern=CODE, description="the province's code (事项编码): letters, digits and dashes")
    name: Names
    service: str = Field(description="the queue (a service code of hall.toml) whose counters handle it")
    kind: Literal["immediate", "promised"] = Field(
        description="immediate (即办件: done on the spot) or promised (承诺件: within promised_days)")
    category: Literal["licensing", "benefit", "confirmation", "public_service", "other"] = Field(
        description="licensing (行政许可), benefit (行政给付), confirmation (行政确认), public_service (公共服务), other")
    legal_days: int = Field(ge=1, le=MAX_DAYS, strict=True, description="法定办结时限, in working days")
    promised_days: int | None = Field(None, ge=1, le=MAX_DAYS, strict=True,
                                      description="承诺办结时限, in working days; a promised matter's deadline")
    fees: Names
    documents: list[Document] = Field(min_length=1, max_length=30)
    steps: list[Text] = Field(min_length=1, max_length=12)
    basis: str = Field(min_length=1, max_length=500, description="the legal basis (设定依据)")
    conditions: Text
    place: Names = Field(description="where it is handled (办理地点)")
    post: str = Field(min_length=1, max_length=64, description="the responsible post (责任岗位)")
    person: str = Field(min_length=1, max_length=32, description="the responsible person, told of yellow and red")
    phone: str = Field(pattern=PHONE, description="the inquiry phone (咨询电话)")
    agent: bool = Field(default=False, description="the hall's agents carry it through for the citizen (全程代办)")
    decided_by: str | None = Field(None, min_length=1, max_length=64,
                                   description="the level that decides it when this hall only accepts it "
                                               "(县务镇办); default: the department itself")
    decided_at: Literal["here", "parent"] = Field(
        default="here", description="parent: a case accepted here goes up to the parent this hall reports to, is "
                                    "worked on there, and its steps come back (县务镇办, 镇务村办); here: the default")

    @model_validator(mode="after")
    def _limits(self) -> Matter:
        if self.kind == "promised" and self.promised_days is None:
            raise ValueError("a promised matter (承诺件) needs promised_days")
        if self.kind == "immediate" and self.promised_days is not None:
            raise ValueError("an immediate matter (即办件) is done on the spot: leave promised_days out")
        if self.promised_days is not None and self.promised_days > self.legal_days:
            raise ValueError(f"promised_days = {self.promised_days} is longer than legal_days = {self.legal_days}")
        if self.decided_at == "parent" and self.kind == "immediate":
            raise ValueError("a matter decided at the parent cannot be immediate (即办件): make it promised")
        if self.decided_at == "parent" and self.decided_by is None:
            raise ValueError('a matter decided at the parent names who decides it there: decided_by = "..."')
        return self

    @property
    def days(self) -> int:
        """The working days the hall promises: none for an immediate matter."""
        return self.promised_days or 0


class Department(Strict):
    name: Names
    phone: str = Field(pattern=PHONE, description="the department's phone (联系电话)")
    supervision_phone: str = Field(pattern=PHONE, description="监督投诉电话")
    leader: str = Field(min_length=1, max_length=32, description="its leader in charge, told of yellow and red")


class CatalogueFile(Strict):
    department: Department
    matters: list[Matter] = Field(min_length=1, max_length=500)

    @field_validator("matters")
    @classmethod
    def _unique(cls, matters: list[Matter]) -> list[Matter]:
        codes = [m.code for m in matters]
        if len(set(codes)) != len(codes):
            raise ValueError("a matter code is used twice in this file")
        return matters


@dataclass(frozen=True)
class Entry:
    """A matter with the department whose file lists it."""

    matter: Matter
    department: Department

    @property
    def decided_by(self) -> str:
        return self.matter.decided_by or self.department.name.zh_CN

    @property
    def decided_above(self) -> bool:
        """Its cases go up to the parent, which works on them (hall.matters.referrals)."""
        return self.matter.decided_at == "parent"


class CatalogueError(ConfigError):
    """Problems in one or more catalogue files; the program stops with exit code 2."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        super().__init__(errors[0].file, [p for e in errors for p in e.problems])

    def __str__(self) -> str:
        return "\n".join(ConfigError.__str__(e) for e in self.errors)


@dataclass(frozen=True)
class Catalogue:
    departments: tuple[Department, ...]
    entries: tuple[Entry, ...]

    def entry(self, code: str) -> Entry | None:
        return next((e for e in self.entries if e.matter.code == code), None)

    def for_service(self, service: str) -> list[Entry]:
        return [e for e in self.entries if e.matter.service == service]


def catalogue_folder(hall_file: Path | str) -> Path:
    return Path(hall_file).resolve().parent / FOLDER


def load_catalogue(hall_file: Path | str, spec: HallSpec) -> Catalogue:
    """Every catalogue file beside `hall_file`, checked whole; a hall without the folder has
    an empty catalogue. Raises CatalogueError naming each problem's file and line."""
    folder = catalogue_folder(hall_file)
    paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    errors: list[ConfigError] = []
    departments, entries = [], []
    first: dict[str, Path] = {}
    for path in paths:
        try:
            data = read_toml(path)
            loaded = load_model(CatalogueFile, path, data)
        except ConfigError as exc:
            errors.append(exc)
            continue
        text = path.read_text(encoding="utf-8")
        problems = []
        for i, matter in enumerate(loaded.matters):
            if spec.service(matter.service) is None:
                problems.append(Problem(f"matters[{i}].service",
                                        f"{matter.service!r} is no service of hall.toml; known: "
                                        f"{', '.join(s.code for s in spec.services)}",
                                        locate_line(text, ("matters", i, "service"))))
            if matter.code in first:
                problems.append(Problem(f"matters[{i}].code",
                                        f"matter code {matter.code!r} is used already in {first[matter.code].name}",
                                        locate_line(text, ("matters", i, "code"))))
            first.setdefault(matter.code, path)
            entries.append(Entry(matter=matter, department=loaded.department))
        if problems:
            errors.append(ConfigError(path, problems))
        departments.append(loaded.department)
    if errors:
        raise CatalogueError(errors)
    return Catalogue(departments=tuple(departments), entries=tuple(entries))
