"""A case's acceptance receipt (受理回执) as a counter's terminal prints it: the receipt page's
facts (hall.matters.case_sheet) in the page's words and language, which the terminal lays out
for its paper. It names nobody: the applicant appears as the masked ID number at most, and
the QR code is the case's signed progress link."""
from __future__ import annotations

from hall.i18n import Catalogue
from hall.matters.case_sheet import CaseSheet
from hall.matters.schemas import ReceiptPrintoutPublic

# The most bytes the terminal's QR code takes (devices.ticket_layout.MAX_QR_PAYLOAD, which
# the hall does not import: tests hold the two equal).
MAX_QR_PAYLOAD = 512


def receipt_printout(sheet: CaseSheet, *, texts: Catalogue, hall_name: str, link: str) -> ReceiptPrintoutPublic:
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
    footer = []
    if entry:
        footer = [f"{t('guides.phone')} {entry.matter.phone}",
                  f"{t('guides.supervision_phone')} {entry.department.supervision_phone}"]
    return ReceiptPrintoutPublic(
        hall_name=hall_name, title=t("receipt.title"), number=case.number, facts=facts,
        lists=[(t("receipt.received"), [d.name.get(language) for d in sheet.received]),
               (t("progress.owed"), [d.name.get(language) for d in sheet.owed])],
        qr_payload=link, qr_caption=t("receipt.scan"), footer=footer)
