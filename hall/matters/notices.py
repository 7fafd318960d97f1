"""Telling people of a case through the hall's channels, an HTTP webhook (JSON, signed with
HMAC-SHA256) and SMTP mail: those responsible of its yellow or red light (电子监察), and the
citizen who left a phone number of the documents owed (补正) and of its completion (办结).

The notices wait in the outbox table matter_notices, written with the light's change
(hall.matters.lights) or with the step (hall.matters.cases). A notice is claimed before it
is sent, its next try set a back-off away, in a transaction of its own; then sent; then
marked sent. So a server killed at any
point leaves the notice to be tried again (none is lost across a restart), two servers on
one database never send one notice at once, and a receiver that sees one notice twice (a
kill between its send and its mark) knows it by its id (the webhook's X-Hall-Notice, the
mail's Message-ID). A citizen's notice holds their number until it is marked sent, and no
longer; the log shows it masked.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall.matters.applicants import masked_phone
from hall.matters.cases import received
from hall.matters.catalogue import Catalogue
from hall.matters.states import Light, MatterStep
from hall.matters.supervision import Mail, Supervision, Webhook
from hall.models import MatterCase, MatterCaseStep, MatterNotice
from hall.queue import QueueEngine

log = logging.getLogger(__name__)
BATCH = 50
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
SEND_SECONDS = 10
SIGNATURE_HEADER = "X-Hall-Signature"
NOTICE_HEADER = "X-Hall-Notice"
LIGHT_NAMES = {Light.YELLOW.value: "黄灯预警", Light.RED.value: "红灯超期"}
CITIZEN_STEPS = {MatterStep.REQUEST_DOCUMENTS.value: "补正通知", MatterStep.COMPLETE.value: "办结通知"}


class SendFailed(Exception):
    """A channel did not take a notice; it is tried again later."""


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    body: dict

    @property
    def about(self) -> str:
        """What the log says of it: the case and the light, or the step and the masked number."""
        if self.body["kind"] == "light":
            return f"case {self.body['case']['number']} {self.body['light']}"
        return f"case {self.body['case']['number']} {self.body['step']} to {masked_phone(self.body['phone'])}"


def told_citizens(session: Session, *, case_ids: list[int]) -> dict[int, list[tuple[MatterNotice, str]]]:
    """The citizens' notices of these cases with the step each tells of, in the order they
    were owed, by case."""
    found: dict[int, list[tuple[MatterNotice, str]]] = {case_id: [] for case_id in case_ids}
    query = (select(MatterNotice, MatterCaseStep.step).join(MatterCaseStep, MatterCaseStep.id == MatterNotice.step_id)
             .where(MatterNotice.matter_id.in_(case_ids)).order_by(MatterNotice.id))
    for notice, step in session.execute(query):
        found[notice.matter_id].append((notice, step))
    return found


def deliver(engine: QueueEngine, *, catalogue: Catalogue, supervision: Supervision, now: datetime) -> int:
    """Sends the notices due at `now`, up to one batch; returns how many were sent."""
    if not supervision.channels:
        return 0
    sent = 0
    for notice in _claim(engine, catalogue=catalogue, supervision=supervision, now=now):
        try:
            if notice.channel not in (supervision.channels if notice.body["kind"] == "light"
                                      else supervision.citizen_channels):
                raise SendFailed(f"supervision.toml no longer names {notice.channel} for {notice.body['kind']} "
                                 "notices")
            if notice.channel == "webhook":
                send_webhook(supervision.webhook, notice.body)
            elif notice.body["kind"] == "light":
                send_mail(supervision.mail, notice.body)
            else:
                send_citizen_mail(supervision.mail, notice.body)
        except SendFailed as exc:
            log.warning("notice %d by %s not sent, tried again later: %s", notice.id, notice.channel, exc)
            with engine.transaction() as session:
                session.get(MatterNotice, notice.id).last_error = str(exc)[:300]
            continue
        with engine.transaction() as session:
            sent_notice = session.get(MatterNotice, notice.id)
            sent_notice.sent_at, sent_notice.phone = now, None
        log.info("notice %d sent by %s: %s", notice.id, notice.channel, notice.about)
        sent += 1
    return sent


def _claim(engine: QueueEngine, *, catalogue: Catalogue, supervision: Supervision, now: datetime) -> list[Claimed]:
    """The notices due, each with its next try moved a back-off away, so that nobody else
    takes it meanwhile and a send cut short is tried again."""
    query = (select(MatterNotice, MatterCase, MatterCaseStep).join(MatterCase, MatterCase.id == MatterNotice.matter_id)
             .outerjoin(MatterCaseStep, MatterCaseStep.id == MatterNotice.step_id)
             .where(MatterNotice.hall_id == engine.spec.hall.id, MatterNotice.sent_at.is_(None),
                    MatterNotice.next_try_at <= now)
             .order_by(MatterNotice.next_try_at, MatterNotice.id).limit(BATCH)
             .with_for_update(skip_locked=True, of=MatterNotice))
    claimed = []
    with engine.transaction() as session:
        for notice, case, step in session.execute(query).all():
            notice.attempts += 1
            notice.next_try_at = now + min(FIRST_RETRY * 2 ** (notice.attempts - 1), LAST_RETRY)
            hall_name = engine.spec.hall.name.zh_CN
            claimed.append(Claimed(id=notice.id, channel=notice.channel, body=body(
                notice, case, catalogue=catalogue, supervision=supervision, hall_name=hall_name) if step is None
                else citizen_body(notice, case, step, catalogue=catalogue, hall_name=hall_name)))
    return claimed


def body(notice: MatterNotice, case: MatterCase, *, catalogue: Catalogue, supervision: Supervision,
         hall_name: str) -> dict:
    """What every channel says: the case and whom to tell; never the applicant."""
    entry = catalogue.entry(case.matter_code)
    tell = []
    if entry is not None:
        tell += [{"role": "responsible", "name": entry.matter.person, "post": entry.matter.post},
                 {"role": "department_leader", "name": entry.department.leader, "post": case.department}]
    if notice.light == Light.RED.value and supervision.hall_leader:
        tell.append({"role": "hall_leader", "name": supervision.hall_leader, "post": hall_name})
    return {"id": notice.id, "kind": "light", "hall": case.hall_id, "light": notice.light,
            "changed_at": notice.created_at.isoformat(),
            "case": {"number": case.number, "matter_code": case.matter_code,
                     "matter": entry.matter.name.zh_CN if entry else case.matter_code, "department": case.department,
                     "due": case.due.isoformat() if case.due else None, "accepted_by": case.accepted_by},
            "tell": tell}


def citizen_body(notice: MatterNotice, case: MatterCase, step: MatterCaseStep, *, catalogue: Catalogue,
                 hall_name: str) -> dict:
    """What every channel tells the citizen: their case's number, what is owed (the documents
    not yet received, and the staff member's note) or that it is completed, and the address
    of its progress page; with the number to send it to, and a text ready for an SMS."""
    entry = catalogue.entry(case.matter_code)
    matter = entry.matter.name.zh_CN if entry else case.matter_code
    owed = ([d.name.zh_CN for i, d in enumerate(entry.matter.documents) if i not in received(case)]
            if entry and step.step == MatterStep.REQUEST_DOCUMENTS.value else [])
    if step.step == MatterStep.REQUEST_DOCUMENTS.value:
        said = "需补正材料" + (f"：{'、'.join(owed)}" if owed else "") + (f"（{step.note}）" if step.note else "")
    else:
        said = "已办结" + (f"（{step.note}）" if step.note else "")
    return {"id": notice.id, "kind": "citizen", "hall": case.hall_id, "phone": notice.phone, "step": step.step,
            "at": step.at.isoformat(),
            "case": {"number": case.number, "matter_code": case.matter_code, "matter": matter},
            "owed": owed, "note": step.note, "progress": notice.progress,
            "text": f"【{hall_name}】您的办件{case.number}（{matter}）{said}。办理进度：{notice.progress}"}


def signature(secret: bytes, payload: bytes) -> str:
    return "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()


def send_webhook(webhook: Webhook, notice: dict) -> None:
    payload = json.dumps(notice, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(webhook.url, data=payload, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", NOTICE_HEADER: str(notice["id"]),
        SIGNATURE_HEADER: signature(webhook.secret(), payload)})
    try:
        with urllib.request.urlopen(request, timeout=SEND_SECONDS) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"{webhook.url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SendFailed(f"{webhook.url}: {getattr(exc, 'reason', exc)}") from None


def send_mail(mail: Mail, notice: dict) -> None:
    case = notice["case"]
    people = "、".join(f"{t['name']}（{t['post']}）" for t in notice["tell"])
    _send(mail, notice, to=mail.to, subject=f"【{LIGHT_NAMES[notice['light']]}】办件 {case['number']} {case['matter']}",
          text=f"办件编号：{case['number']}\n事项：{case['matter']}（{case['matter_code']}）\n"
               f"部门：{case['department']}\n承诺办结日期：{case['due']}\n受理人：{case['accepted_by']}\n"
               f"请告知：{people}\n")


def send_citizen_mail(mail: Mail, notice: dict) -> None:
    """To the SMS gateway's address (`citizen_to`), the number in the subject, the text the body."""
    _send(mail, notice, to=mail.citizen_to, text=notice["text"] + "\n",
          subject=f"{notice['phone']} 【{CITIZEN_STEPS[notice['step']]}】办件 {notice['case']['number']}")


def _send(mail: Mail, notice: dict, *, to: list[str], subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail.sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = f"<matter-notice-{notice['hall']}-{notice['id']}@{mail.sender.split('@', 1)[1]}>"
    message.set_content(text)
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=SEND_SECONDS) as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"mail by {mail.host}:{mail.port}: {exc}") from None
