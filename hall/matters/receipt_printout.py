"""A case's acceptance receipt (受理回执) as a counter's printer prints it: the receipt page's
facts (hall.matters.case_sheet) in the page's words and language, laid out for paper by
devices.receipt_layout. It names nobody: the applicant appears as the masked ID number at
most, and the QR code is the case's signed progress link."""
from __future__ import annotations

from devices.receipt_layout import ReceiptPrintout
from hall.i18n import Catalogue
from hall.matters.case_sheet import CaseSheet


def receipt_printout(sheet: CaseSheet, *, texts: Catalogue, hall_name: str, link: str) -> ReceiptPrintout:
    """`texts` are the pages' (hall.web.i18n.Texts), whose receipt.*, progress.* and guides.*
    the receipt page shows too; `link` is HallServer.case_link."""
    t, language, case, entry = texts.t, texts.language, sheet.case, sheet.entry
    facts = [(t("progress.matter"), entry.matter.name.get(language) if entry else case.matter_code),
             (t("guides.department"), case.department)]
    if case.applicant_masked:
        facts.append((t("receipt.applicant"), case.applicant_masked))
    facts.append((t("progress.accepted_at"), sheet.accepted_day.isoformat()))
    if sheet.due:
        facts.append((t("progress.due"), sheet.due.isoformat()))
    facts.append((t("receipt.staff"), case.accepted_by))
    footer = ()
    if entry:
        footer = (f"{t('guides.phone')} {entry.matter.phone}",
                  f"{t('guides.supervision_phone')} {entry.department.supervision_phone}")
    return ReceiptPrintout(
        hall_name=hall_name, title=t("receipt.title"), number=case.number, facts=tuple(facts),
        lists=((t("receipt.received"), tuple(d.name.get(language) for d in sheet.received)),
               (t("progress.owed"), tuple(d.name.get(language) for d in sheet.owed))),
        qr_payload=link, qr_caption=t("receipt.scan"), footer=footer)
