"""A case (办件) as its applicant reads it at the kiosk, in the visit's language: its matter,
number and state, its dates, and the documents still owed; the hall's answer holds nothing
that names the applicant, and neither does this."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.guide_view import text_in
from kiosk.i18n import Translator

if TYPE_CHECKING:
    from hall.matters.schemas import MatterProgressPublic


@dataclass(frozen=True)
class CaseView:
    number: str
    matter: str
    state: str                          # one sentence: where the case stands
    rows: tuple[tuple[str, str], ...]   # label and value: number, dates
    owed: tuple[str, ...]               # the documents still owed, by name
    owed_line: str                      # their heading, or that none are owed
    closed: bool


def state_text(case: MatterProgressPublic, tr: Translator) -> str:
    text = tr.t(f"cases.state_{case.state.value}")
    return text + tr.t("cases.late") if case.late else text


def case_view(case: MatterProgressPublic, tr: Translator) -> CaseView:
    rows = [(tr.t("cases.number"), case.number), (tr.t("cases.accepted_on"), tr.date(case.accepted_on))]
    if case.closed_on is not None:
        if case.state.value == "completed":
            rows.append((tr.t("cases.closed_on"), tr.date(case.closed_on)))
    elif case.due is not None:
        rows.append((tr.t("cases.due"), tr.date(case.due) if case.promised_days else tr.t("cases.immediate")))
    owed = tuple(text_in(d, tr.language) for d in case.owed) if case.closed_on is None else ()
    return CaseView(number=case.number, matter=text_in(case.matter_name, tr.language), state=state_text(case, tr),
                    rows=tuple(rows), owed=owed,
                    owed_line=tr.t("cases.owed") if owed else "" if case.closed_on else tr.t("cases.owed_none"),
                    closed=case.closed_on is not None)
