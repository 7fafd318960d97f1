"""A hall's definition: its name, opening hours, services and counters (config/hall.toml).

The same file serves the embedded engine in a kiosk and, later, the hall server; it is
checked whole at start-up so that a typo stops the program before a citizen meets it.
"""
from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from hall.configfile import Strict, load_model
from hall.tickets import Priority

LANGUAGES = ("zh_CN", "zh_TW", "en")  # the one list: translations, names, configuration
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Names(Strict):
    """A text in each language; zh_CN is required and stands in for a missing one. At most
    80 characters: every screen and the ticket must have room for it."""

    zh_CN: str = Field(min_length=1, max_length=80)
    zh_TW: str | None = Field(None, max_length=80)
    en: str | None = Field(None, max_length=80)

    @field_validator("zh_CN", "zh_TW", "en")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is blank; write the name, or leave the language out")
        return value

    def get(self, language: str) -> str:
        return getattr(self, language, None) or self.zh_CN


# A time of day in the hall's zone, as the API writes it ("08:30:00"): JSON Schema's "time"
# format would demand a UTC offset, which a local time of day has not.
LocalTime = Annotated[time, WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
                                            "description": "a time of day in the hall's time zone, HH:MM:SS",
                                            "examples": ["08:30:00"]})]


class Period(Strict):
    """One opening period of a day, such as 08:30-12:00."""

    start: LocalTime
    end: LocalTime


def _parse_periods(value: object) -> object:
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        if isinstance(item, str):
            m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", item)
            if not m:
                raise ValueError(f"{item!r} is not a period; write it as \"08:30-12:00\"")
            h1, m1, h2, m2 = map(int, m.groups())
            if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
                raise ValueError(f"{item!r} is not a time of day")
            item = {"start": time(h1, m1), "end": time(h2, m2)}
        out.append(item)
    return out


class Hours(Strict):
    """Opening hours per weekday, with the holidays and make-up working days of the
    Chinese calendar (调休), which move from year to year and so are listed by date."""

    monday: list[Period] = []
    tuesday: list[Period] = []
    wednesday: list[Period] = []
    thursday: list[Period] = []
    friday: list[Period] = []
    saturday: list[Period] = []
    sunday: list[Period] = []
    holidays: list[date] = []
    workdays: list[date] = Field(default=[], description="weekend dates worked with Monday's hours")
    stop_issuing_minutes: int = Field(default=15, ge=0, le=240, strict=True,
                                      description="tickets stop this long before each closing")

    @field_validator(*WEEKDAYS, mode="before")
    @classmethod
    def _periods(cls, value: object) -> object:
        return _parse_periods(value)

    @field_validator(*WEEKDAYS)
    @classmethod
    def _ordered(cls, periods: list[Period]) -> list[Period]:
        for i, p in enumerate(periods):
            if p.end <= p.start:
                raise ValueError(f"period {p.start:%H:%M}-{p.end:%H:%M} ends before it starts")
            if i and p.start < periods[i - 1].end:
                raise ValueError("periods overlap or are out of order")
        return periods

    @model_validator(mode="after")
    def _time_to_issue(self) -> Hours:
        """Tickets stop stop_issuing_minutes before each closing: a period no longer than
        that would never issue one (and a hall whose periods all are would never open)."""
        stop = self.stop_issuing_minutes
        for day in WEEKDAYS:
            for p in getattr(self, day):
                minutes = (p.end.hour * 60 + p.end.minute) - (p.start.hour * 60 + p.start.minute)
                if minutes <= stop:
                    raise ValueError(f"stop_issuing_minutes = {stop} leaves no time to issue tickets in "
                                     f"{day} {p.start:%H:%M}-{p.end:%H:%M} ({minutes} minutes): make it "
                                     f"shorter than every opening period")
        return self

    def periods_on(self, day: date) -> list[Period]:
        if day in self.holidays:
            return []
        if day in self.workdays:
            return self.monday
        return getattr(self, WEEKDAYS[day.weekday()])


class Service(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    prefix: str = Field(pattern=r"^[A-Z]$", description="one capital letter A-Z")
    name: Names
    mean_service_minutes: float = Field(gt=0, le=240, strict=True)
    digits: Literal[3, 4] = Field(default=3,
                                  description="digits of its numbers after the prefix: 3 (A001, at most 999 a day) "
                                              "or 4 (A0001, at most 9999 a day)")
    daily_quota: int | None = Field(default=None, ge=1, le=9999, strict=True)
    description: Names | None = None
    needs_id: bool = Field(default=False, description="a ticket needs the holder's ID card (or a booking code)")
    person_limit: Literal["day", "service"] = Field(
        default="day", description="day: its tickets count toward the hall's tickets_per_person a day; "
                                   "service: one open ticket of this service per person, apart from the others")
    department: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="the department answerable for it (县人社局), as ratings name it; "
                                               "default: the hall itself")

    @field_validator("daily_quota")
    @classmethod
    def _numbered(cls, quota: int | None, info: ValidationInfo) -> int | None:
        digits = info.data.get("digits")
        if quota is not None and digits is not None and quota > 10 ** digits - 1:
            raise ValueError(f"is more than {digits} digits can number ({10 ** digits - 1} a day): "
                             f"give the service digits = 4, or a smaller quota")
        return quota

    @property
    def last_seq(self) -> int:
        """The day's last number: 999 with three digits, 9999 with four."""
        return 10 ** self.digits - 1

    def ticket_number(self, seq: int) -> str:
        """A001 (three digits), A0001 (four)."""
        return f"{self.prefix}{seq:0{self.digits}d}"


class Counter(Strict):
    id: str = Field(pattern=r"^[0-9A-Za-z-]{1,8}$", description="what the hall calls it: 3 for 3号窗口")
    services: list[str] = Field(min_length=1)


class HallInfo(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: Names
    timezone: str = "Asia/Shanghai"
    priority_first: list[Priority] = [Priority.GREEN, Priority.BOOKED]
    max_recalls: int = Field(default=3, ge=0, le=10, strict=True)
    green_channel_age: int = Field(default=70, ge=50, le=120, strict=True,
                                   description="from this age a citizen identified by ID card gets the green channel")
    tickets_per_person: int = Field(default=1, ge=1, le=20, strict=True,
                                    description="open tickets one person (by ID card) may hold on one day")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as \"Asia/Shanghai\"") from None
        return value

    @field_validator("priority_first")
    @classmethod
    def _no_repeats(cls, value: list[Priority]) -> list[Priority]:
        if Priority.NORMAL in value:
            raise ValueError("list the classes that go before normal tickets: green, booked")
        if len(set(value)) != len(value):
            raise ValueError("each priority class may appear once")
        return value


class Display(Strict):
    """The hall display (叫号大屏)."""

    announcement: Literal["speech", "chime"] = Field(
        default="speech", description="speech: each call is spoken (请A001号到3号窗口办理); chime: a chime only")
    number_twice: bool = Field(default=False, strict=True,
                               description="say the number twice, as halls do in a noisy room: 请A001号，A001号到3号窗口办理")
    speech_within_seconds: int = Field(
        default=60, ge=10, le=600, strict=True,
        description="a call still waiting to be said this long after it was made is not said (it stays on screen), "
                    "so that the speech never falls far behind the calls")


class Booking(Strict):
    """Checking in a booking made online (docs/booking-qr.md): the code is taken from a little
    before its time window to a little after it."""

    early_minutes: int = Field(default=30, ge=0, le=240, strict=True,
                               description="check-in opens this long before the window")
    late_minutes: int = Field(default=15, ge=0, le=240, strict=True, description="and closes this long after it")


class Privacy(Strict):
    """What the hall keeps of identified citizens (docs/privacy.md)."""

    person_hashes_kept_days: int = Field(
        default=1, ge=1, le=31, description="a day's person hashes are removed this many days after it "
                                            "(1: the day after); the tickets stay")


class Reason(Strict):
    """A reason a citizen may give for a bad rating (不满意, 非常不满意)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: Names
    needs_comment: bool = Field(default=False, description="the citizen says what in a comment (其他)")


# The practical list of the provinces' on-site rating (docs/ratings.md).
DEFAULT_REASONS = [
    Reason(code="slow", name=Names(zh_CN="办事效率低、等候时间长", zh_TW="辦事效率低、等候時間長",
                                   en="Slow service, long wait")),
    Reason(code="attitude", name=Names(zh_CN="服务态度差", zh_TW="服務態度差", en="Unfriendly staff")),
    Reason(code="unskilled", name=Names(zh_CN="业务不熟练", zh_TW="業務不熟練", en="Staff did not know the matter")),
    Reason(code="unclear", name=Names(zh_CN="一次告知不清、材料反复提交", zh_TW="一次告知不清、材料反覆提交",
                                      en="Unclear what to bring, papers asked for again")),
    Reason(code="guide", name=Names(zh_CN="办事指南不准确", zh_TW="辦事指南不準確", en="The service guide was wrong")),
    Reason(code="repeat_visits", name=Names(zh_CN="多次跑动", zh_TW="多次跑動", en="Had to come back several times")),
    Reason(code="system", name=Names(zh_CN="系统或设备故障", zh_TW="系統或設備故障", en="System or equipment failure")),
    Reason(code="other", name=Names(zh_CN="其他", zh_TW="其他", en="Other"), needs_comment=True),
]


class Ratings(Strict):
    """Ratings after each transaction (好差评, docs/ratings.md)."""

    reasons: list[Reason] = Field(default=DEFAULT_REASONS, min_length=1, max_length=20,
                                  description="what a bad rating may be given for; it needs at least one")
    window_seconds: int = Field(default=60, ge=10, le=600,
                                description="how long the counter's rating prompt waits before the "
                                            "transaction counts as not rated")
    late_working_days: int = Field(default=1, ge=0, le=15,
                                   description="a citizen who missed the prompt may rate from the phone page or "
                                               "a kiosk until the end of this working day after the transaction "
                                               "(0: the same day)")
    case_working_days: int = Field(default=5, ge=1, le=30,
                                   description="a bad rating's follow-up case is due within these working days")
    callback_percent: int = Field(default=0, ge=0, le=100,
                                  description="the share of transactions the hall phones back (回访), in percent")
    satisfaction_threshold: int = Field(default=80, ge=0, le=100,
                                        description="a satisfaction rate under this percentage is flagged")

    @field_validator("reasons")
    @classmethod
    def _unique(cls, reasons: list[Reason]) -> list[Reason]:
        codes = [r.code for r in reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("a reason code is used twice")
        return reasons

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)


class HallSpec(Strict):
    hall: HallInfo
    hours: Hours
    services: list[Service] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    display: Display = Display()
    booking: Booking = Booking()
    privacy: Privacy = Privacy()
    ratings: Ratings = Ratings()

    @field_validator("services")
    @classmethod
    def _unique(cls, services: list[Service]) -> list[Service]:
        codes, prefixes = set(), set()
        for s in services:
            if s.code in codes:
                raise ValueError(f"service code {s.code!r} is used twice")
            if s.prefix in prefixes:
                raise ValueError(f"prefix {s.prefix!r} is used by two services")
            codes.add(s.code)
            prefixes.add(s.prefix)
        return services

    @field_validator("counters")
    @classmethod
    def _served(cls, counters: list[Counter], info: ValidationInfo) -> list[Counter]:
        services = info.data.get("services")
        if services is None:  # already reported
            return counters
        codes = {s.code for s in services}
        ids = [c.id for c in counters]
        if len(set(ids)) != len(ids):
            raise ValueError("a counter id is used twice")
        for c in counters:
            unknown = [code for code in c.services if code not in codes]
            if unknown:
                raise ValueError(f"counter {c.id!r} serves unknown service(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(codes))}")
        served = {code for c in counters for code in c.services}
        orphans = [s.code for s in services if s.code not in served]
        if orphans:
            raise ValueError(f"no counter serves {', '.join(orphans)}")
        return counters

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def counters_for(self, code: str) -> list[Counter]:
        return [c for c in self.counters if code in c.services]

    def department_of(self, code: str) -> str:
        """The department a service's ratings are counted for: its own, else the hall."""
        service = self.service(code)
        return (service.department if service else None) or self.hall.name.zh_CN

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hall.timezone)


def load_hall(path: Path | str) -> HallSpec:
    """Read and check a hall definition; raises ConfigError naming file, line and key."""
    return load_model(HallSpec, Path(path))
