"""A matter's guide (办事指南) as a citizen reads it at the kiosk, and its documents checklist
as the ticket printer prints it, both from the hall's catalogue (its wire schema,
hall.matters.schemas.MatterPublic) in the visit's language.

A guide is too long for one screen in large type, and paging is kinder to an elderly hand
than scrolling: it is cut into pages of a few rows each (fewer in large type), its overview
first, then the documents, then the steps. The checklist takes the ticket's layout (its
large line says 材料清单 where a ticket has its number), so it is as bounded as a ticket: past
MAX_CHECKLIST_DOCUMENTS documents a line starting with "…" says how many more there are and
where to read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices.ticket_layout import MAX_DETAILS, TicketPrintout
from hall.spec import HallSpec
from kiosk.i18n import Translator

if TYPE_CHECKING:
    from hall.matters.schemas import DocumentPublic, MatterPublic

ROWS_PER_PAGE = {False: 6, True: 4}  # by large type
MAX_CHECKLIST_DOCUMENTS = MAX_DETAILS - 1  # the last row says what was left out


def text_in(texts: dict[str, str], language: str) -> str:
    """A catalogue text in `language`; zh_CN stands in for a missing one, as on the hall's pages."""
    return texts.get(language) or texts.get("zh_CN") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class GuideService:
    """A service of the hall with the matters of its guides."""

    code: str
    name: str
    matters: tuple[tuple[str, str], ...]  # code and name
    count_text: str                        # "2 个事项"


@dataclass(frozen=True)
class GuidePage:
    title: str                           # "所需材料（1/2）"
    rows: tuple[tuple[str, str], ...]    # label and value


@dataclass(frozen=True)
class GuideView:
    code: str
    name: str
    pages: tuple[GuidePage, ...]
    link: str | None          # the guide on a phone; None: no server a phone could open


def guide_services(spec: HallSpec, matters: list[MatterPublic], tr: Translator) -> list[GuideService]:
    """The services that have guides, in the hall's order."""
    out = []
    for service in spec.services:
        own = tuple((m.code, text_in(m.name, tr.language)) for m in matters if m.service == service.code)
        if own:
            out.append(GuideService(code=service.code, name=service.name.get(tr.language), matters=own,
                                    count_text=tr.count("guides.matters", len(own))))
    return out


def document_text(document: DocumentPublic, tr: Translator) -> str:
    """"户口簿（原件及复印件，2 份）"."""
    copies = tr.t("guides.copies", n=document.copies) if document.copies > 1 else ""
    if document.electronic:
        copies += tr.t("guides.electronic")
    return tr.t("guides.document", name=text_in(document.name, tr.language), form=tr.t(f"guides.form_{document.form}"),
                copies=copies)


def time_limit(matter: MatterPublic, tr: Translator) -> str:
    if matter.kind == "promised" and matter.promised_days:
        return tr.t("guides.promised", days=matter.promised_days)
    return tr.t("guides.immediate")


def guide_view(matter: MatterPublic, tr: Translator, *, link: str | None, large_type: bool) -> GuideView:
    lang = tr.language
    overview = [
        (tr.t("guides.kind"), time_limit(matter, tr)),
        (tr.t("guides.legal_days"), tr.t("guides.days", days=matter.legal_days)),
        (tr.t("guides.fees"), text_in(matter.fees, lang)),
        (tr.t("guides.conditions"), text_in(matter.conditions, lang)),
        (tr.t("guides.department"), text_in(matter.department, lang)),
        (tr.t("guides.place"), text_in(matter.place, lang)),
        (tr.t("guides.post"), matter.post),
        (tr.t("guides.phone"), matter.phone),
        (tr.t("guides.supervision_phone"), matter.supervision_phone),
    ]
    documents = [(f"{i}.", document_text(d, tr)) for i, d in enumerate(matter.documents, 1)]
    steps = [(tr.t("guides.step", n=i), text_in(s, lang)) for i, s in enumerate(matter.steps, 1)]
    per_page = ROWS_PER_PAGE[large_type]
    pages = []
    for section, rows in (("overview", overview), ("documents", documents), ("steps", steps)):
        chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)]
        for n, chunk in enumerate(chunks, 1):
            title = tr.t(f"guides.{section}")
            if len(chunks) > 1:
                title = tr.t("guides.page_title", section=title, page=n, pages=len(chunks))
            pages.append(GuidePage(title=title, rows=tuple(chunk)))
    return GuideView(code=matter.code, name=text_in(matter.name, lang), pages=tuple(pages), link=link)


def checklist_printout(hall_name: str, matter: MatterPublic, tr: Translator, *, link: str | None) -> TicketPrintout:
    """The documents a matter requires, for the citizen to take home: at most
    MAX_CHECKLIST_DOCUMENTS of them, then a line saying how many more and where to read them."""
    documents = [("", f"{i}. {document_text(d, tr)}") for i, d in enumerate(matter.documents, 1)]
    if len(documents) > MAX_CHECKLIST_DOCUMENTS:
        left = len(documents) - MAX_CHECKLIST_DOCUMENTS
        more = tr.count("guides.checklist_more" if link else "guides.checklist_more_desk", left)
        documents = documents[:MAX_CHECKLIST_DOCUMENTS] + [("", more)]
    footer = (tr.t("guides.checklist_place", place=text_in(matter.place, tr.language)),
              tr.t("guides.checklist_phone", phone=matter.phone))
    return TicketPrintout(hall_name=hall_name, number=tr.t("guides.checklist"), service=text_in(matter.name, tr.language),
                          details=tuple(documents), qr_payload=link or "",
                          qr_caption=tr.t("guides.qr_caption") if link else "", footer=footer)
