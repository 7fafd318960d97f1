"""What the ticket kiosk's screens (and its voice) show of the flow, in the visit's language
of the moment: the hall's name and hours, the services with their queues, and the line each
screen says about a card, a refusal, the work under way or a call for staff.

The texts hold no state: each call reads the flow (kiosk.flow.TicketFlow, through `Shown`)
as it is now, so a new language or a new answer of the hall shows at the next read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from devices.ticket_layout import TicketPrintout
from hall.errors import RefusalReason
from hall.tickets import ServiceStatus, TicketInfo
from kiosk.card_watch import Message, ReaderStatus
from kiosk.case_view import CaseView, case_view
from kiosk.guide_view import (GuidePage, GuideService, GuideView, checklist_printout, guide_services, guide_view,
                              text_in)
from kiosk.hall_client import Hall
from kiosk.help_call import HelpCallWatch, HelpState
from kiosk.i18n import Translator
from kiosk.identity import Identification
from kiosk.rating_faces import Face, faces
from kiosk.late_rating import Standing
from kiosk.late_rating import reasons as late_reasons
from kiosk.ticket_states import Errand, Notice
from kiosk.ticket_view import ProgressView, TicketView, progress_view
from kiosk.visit import Visit

if TYPE_CHECKING:
    from hall.matters.schemas import MatterPublic


@dataclass(frozen=True)
class ServiceChoice:
    code: str
    prefix: str
    name: str
    description: str
    counters: str
    waiting: int | None  # None until the hall has answered
    waiting_text: str    # "5 人"
    estimate_text: str   # "约 14 分钟"; both "正在查询…" until the hall has answered
    queue_text: str      # both in one line for the service list, "无需等候" or "暂停取号"
    available: bool


class Shown(Protocol):
    """What the texts read of the ticket flow."""

    hall: Hall
    visit: Visit
    help: HelpCallWatch
    errand: Errand
    queues: dict[str, ServiceStatus] | None
    queues_failed: bool
    reader_status: ReaderStatus
    catalogue: list[MatterPublic] | None
    catalogue_failed: bool

    def matter(self, code: str | None) -> MatterPublic | None: ...

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    def refusal(self, code: str) -> tuple[RefusalReason, datetime | None] | None: ...

    def closed(self) -> Notice | None: ...

    def view(self, ticket: TicketInfo, tr: Translator, identity: Identification | None) -> TicketView: ...


class TicketTexts:
    def __init__(self, flow: Shown):
        self.flow = flow

    @property
    def tr(self) -> Translator:
        return Translator(self.flow.visit.language)

    @property
    def language(self) -> str:
        return self.flow.visit.language

    def hall_name(self) -> str:
        return self.flow.hall.spec.hall.name.get(self.language)

    def hours_today(self) -> str:
        spec = self.flow.hall.spec
        local = self.flow.now().astimezone(spec.zone)
        periods = spec.hours.periods_on(local.date())
        if not periods:
            return self.tr.t("home.closed_today")
        hours = "  ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods)
        return self.tr.t("home.hours_today", hours=hours)

    def services(self) -> list[ServiceChoice]:
        """The services in the hall's order, in the visit's language, with their queues as
        the hall last told them (none before its first answer)."""
        flow = self.flow
        spec, tr, lang = flow.hall.spec, self.tr, self.language
        out = []
        for service in spec.services:
            st = flow.queues.get(service.code) if flow.queues else None
            refusal = flow.refusal(service.code)
            if st is None:
                waiting_text = estimate_text = tr.t("services.not_known" if flow.queues_failed else "services.asking")
                queue_text = ""
                if refusal is not None:
                    queue_text = tr.t("services.held" if refusal[0] is RefusalReason.ALREADY_HAS_TICKET
                                      else "services.unavailable")
            else:
                waiting_text = tr.people(st.waiting)
                paused = st.open_counters == 0
                estimate_text = tr.wait(st.estimated_wait_minutes, paused=paused)
                if refusal is not None:
                    queue_text = tr.t("services.held" if refusal[0] is RefusalReason.ALREADY_HAS_TICKET
                                      else "services.unavailable")
                elif st.waiting or paused:
                    queue_text = f"{tr.count('services.waiting', st.waiting)} · {estimate_text}"
                else:
                    queue_text = tr.t("services.no_wait")
            out.append(ServiceChoice(
                code=service.code, prefix=service.prefix, name=service.name.get(lang),
                description=service.description.get(lang) if service.description else "",
                counters=tr.counters([c.id for c in spec.counters_for(service.code)]),
                waiting=None if st is None else st.waiting,
                waiting_text=waiting_text, estimate_text=estimate_text, queue_text=queue_text,
                available=refusal is None,
            ))
        return out

    def chosen(self) -> ServiceChoice | None:
        return next((c for c in self.services() if c.code == self.flow.errand.service), None)

    def ticket_view(self) -> TicketView | None:
        errand = self.flow.errand
        if errand.ticket is None:
            return None
        return self.flow.view(errand.ticket, self.tr, errand.identity)

    def progress_view(self) -> ProgressView | None:
        if self.flow.errand.progress is None:
            return None
        return progress_view(self.flow.hall.spec, self.flow.errand.progress, self.tr, today=self.flow.today())

    def progress_title(self) -> str:
        errand = self.flow.errand
        return self.tr.t("progress.yours" if errand.held and errand.progress else "progress.title")

    def rating_line(self) -> str:
        """What the progress screen says of the scanned ticket's rating when it offers none:
        rated already, past its time, not completed yet."""
        rating = self.flow.errand.rating
        if rating is None or rating.standing in (Standing.OPEN, Standing.UNKNOWN):
            return ""
        return self.tr.t(f"late_rating.{rating.standing.value}")

    def rating_title(self) -> str:
        rating = self.flow.errand.rating
        return self.tr.t("rating.prompt", number=rating.number) if rating else ""

    def faces(self) -> list[Face]:
        return faces(self.tr)

    def rating_reasons(self) -> list[tuple[str, str, bool]]:
        """The reasons a kiosk offers, each as (code, name in the visit's language, chosen)."""
        rating = self.flow.errand.rating
        chosen = rating.reasons if rating else []
        return [(r.code, r.name.get(self.language), r.code in chosen) for r in late_reasons(self.flow.hall.spec)]

    def rating_hint(self) -> str:
        """Under the reasons: what is missing, or that the last attempt did not reach the hall."""
        rating = self.flow.errand.rating
        if rating is None:
            return ""
        if rating.failed:
            return self.tr.t("rating.not_stored")
        return "" if rating.reasons else self.tr.t("rating.reason_needed")

    def rating_problem(self) -> str:
        rating = self.flow.errand.rating
        return self.tr.t("rating.not_stored") if rating and rating.failed else ""

    def identified_text(self) -> str:
        """"身份证 1101**********002X 已读取" while the visit is identified, else ""."""
        identity = self.flow.errand.identity
        return self.tr.t("identify.done", number=identity.masked_number) if identity else ""

    def card_prompt(self) -> str:
        """The home screen's invitation to place an ID card: to see one's ticket, or for the
        green channel from the hall's age."""
        return self.tr.t("home.card", age=self.flow.hall.spec.hall.green_channel_age)

    def identify_text(self) -> str:
        """What the identify screen says about the last card, or about the reader."""
        message = self.flow.reader_status.problem or self.flow.errand.message  # no card is read while the reader fails
        return self._said(message) if message else ""

    def busy_text(self) -> str:
        work = self.flow.errand.work
        return self.tr.t(f"issuing.{work.kind if work else 'issue'}")

    def closed_text(self) -> str:
        closed = self.flow.closed()
        return self.refusal_text(closed) if closed else ""

    def notice_text(self) -> str:
        notice = self.flow.errand.notice
        return self.refusal_text(notice) if notice else ""

    def notice_service(self) -> str:
        """The service a notice is about, as the service list shows it: "C  户籍办理"."""
        notice = self.flow.errand.notice
        service = self.flow.hall.spec.service(notice.service) if notice and notice.service else None
        return f"{service.prefix}  {service.name.get(self.language)}" if service else ""

    def help_text(self) -> str:
        """Where the visit's call for staff stands; "" if there is none."""
        state = self.flow.help.state
        return "" if state is HelpState.NONE else self.tr.t(f"help.{state.value}")

    def refusal_text(self, notice: Notice) -> str:
        if notice.problem is not None:
            return self._said(notice.problem)
        spec, tr, lang = self.flow.hall.spec, self.tr, self.language
        when = ""
        if notice.reopens_at is not None:
            local = notice.reopens_at.astimezone(spec.zone)
            today = self.flow.now().astimezone(spec.zone).date()
            when = f"{local:%H:%M}" if local.date() == today else tr.datetime(local)
        service = spec.service(notice.service) if notice.service else None
        name = service.name.get(lang) if service else ""
        key = notice.reason.value if notice.reason else "hall_unavailable"
        earlier = {"number": "", "time": ""}
        if notice.earlier is not None:
            first = spec.service(notice.earlier.service)
            earlier = {"number": notice.earlier.number, "service": first.name.get(lang) if first else "",
                       "time": f"{notice.earlier.issued_at.astimezone(spec.zone):%H:%M}"}
        return tr.t(f"refusal.{key}", **{"when": when, "service": name, **earlier})

    # the guides (办事指南)

    def guide_choices(self) -> list[GuideService] | None:
        """The services with guides; None until the hall has told its catalogue."""
        catalogue = self.flow.catalogue
        return None if catalogue is None else guide_services(self.flow.hall.spec, catalogue, self.tr)

    def guide_service(self) -> GuideService | None:
        """The service whose matters are listed, if one was chosen."""
        guides = self.flow.errand.guides
        code = guides.service if guides else None
        return next((s for s in self.guide_choices() or () if s.code == code), None)

    def guides_title(self) -> str:
        service = self.guide_service()
        return self.tr.t("guides.choose_matter", service=service.name) if service else self.tr.t("guides.choose_service")

    def guides_line(self) -> str:
        """Why no guides are listed: being looked up, not to be had, none published."""
        flow = self.flow
        if flow.catalogue is None:
            return self.tr.t("guides.unavailable" if flow.catalogue_failed else "guides.loading")
        return "" if flow.catalogue else self.tr.t("guides.empty")

    def guide_view(self) -> GuideView | None:
        guides = self.flow.errand.guides
        matter = self.flow.matter(guides.matter if guides else None)
        if matter is None:
            return None
        return guide_view(matter, self.tr, link=self.flow.hall.guide_link(matter.code),
                          large_type=self.flow.visit.large_type)

    def guide_page(self) -> tuple[int, GuidePage] | None:
        """The page of the guide shown (its index held to the pages of the present type size)."""
        view = self.guide_view()
        if view is None:
            return None
        index = min(self.flow.errand.guides.page, len(view.pages) - 1)
        return index, view.pages[index]

    def guide_qr_line(self) -> str:
        view = self.guide_view()
        return self.tr.t("guides.qr_phone" if view and view.link else "guides.no_qr")

    def checklist_line(self) -> str:
        """How the checklist's printing went, or "" before it is asked for."""
        guides = self.flow.errand.guides
        if guides is None or not (guides.printing or guides.printed):
            return ""
        if guides.printing:
            return self.tr.t("guides.printing")
        return self.tr.t("guides.printed" if guides.printed.outcome.ok else "guides.print_failed")

    def checklist(self) -> TicketPrintout:
        matter = self.flow.matter(self.flow.errand.guides.matter)
        return checklist_printout(self.hall_name(), matter, self.tr, link=self.flow.hall.guide_link(matter.code))

    # the cases (办件进度)

    def cases_line(self) -> str:
        """Under the invitation to scan or place a card: the search under way, its answer, or
        what was wrong with the card."""
        cases = self.flow.errand.cases
        if cases is None:
            return ""
        if cases.asking:
            return self.tr.t("cases.asking")
        if cases.message is not None:
            return self._said(cases.message)
        if cases.found is not None:
            return self.tr.count("cases.found", len(cases.found)) if cases.found else self.tr.t("cases.none")
        return ""

    def case_choices(self) -> list[tuple[str, str, str]]:
        """The card's cases as (number, matter, "number · state in a word"), the latest first."""
        cases = self.flow.errand.cases
        return [(c.number, text_in(c.matter_name, self.language), f"{c.number} · {self.tr.t(f'cases.short_{c.state.value}')}")
                for c in (cases.found or () if cases else ())]

    def case_view(self) -> CaseView | None:
        cases = self.flow.errand.cases
        return case_view(cases.shown, self.tr) if cases and cases.shown else None

    def _said(self, message: Message) -> str:
        tr = self.tr
        return tr.t(message.key, **{k: tr.date(v) if isinstance(v, date) else v for k, v in message.fields.items()})
