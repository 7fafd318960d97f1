"""What every Hall implementation promises the screens: the embedded hall and the remote
hall (against a real server process on 127.0.0.1) pass the same tests."""
from __future__ import annotations

import json
import stat
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hall.booking_codes import BOOKING_PURPOSE, make_booking_code
from hall.errors import EarlierTicket, HelpCallNotFound, RefusalReason, TicketNotFound, TicketRefused
from hall.person_keys import KEY_FILE, PersonKeys, read_key_file
from hall.queue import QueueEngine
from hall.ratings.terms import Channel, RatingRefusal, RatingRefused, RatingState
from hall.tickets import Priority, TicketStatus
from hall.spec import load_hall
from hall.matters import cases
from hall.matters.applicants import Applicant, lookup_hash, masked
from hall.matters.catalogue import load_catalogue
from hall.matters.cases import LINK_PURPOSE
from hall.matters.states import MatterRefused
from kiosk.embedded import EmbeddedHall
from kiosk.hall_client import Hall, HallUnavailable
from kiosk.identity import number_hash
from kiosk.remote import RemoteHall
from tests.conftest import OPEN_MORNING, SAMPLE_HALL, SHANGHAI
from tests.support.waiting import until


def engine_on(url: str) -> QueueEngine:
    """The hall's engine on its database, behind the hall's back: its keys, as an installer's
    python -m hall booking-key reads them."""
    return QueueEngine(load_hall(SAMPLE_HALL), url)


class HallContract:
    """Subclasses provide `make_hall(clock)`, `database_url`, `person_key_file` and
    `token_of(ticket)`, and say whether staff consoles answer help calls."""

    database_url: str
    person_key_file: Path
    takes_help_calls: bool

    def make_hall(self, clock) -> Hall:
        raise NotImplementedError

    def token_of(self, hall, ticket) -> str:
        raise NotImplementedError

    def booking_code(self, booking_id: str, *, day=OPEN_MORNING.date(), window=(time(9), time(9, 30)),
                     key: bytes | None = None) -> str:
        if key is None:
            engine = engine_on(self.database_url)
            key = engine.signer.key_for(BOOKING_PURPOSE)
            engine.close()
        return make_booking_code(key, hall_id="chengguan", booking_id=booking_id, service="household", day=day,
                                 window_start=window[0], window_end=window[1])

    @pytest.fixture
    def hall(self, clock):
        hall = self.make_hall(clock)
        yield hall
        hall.close()

    def test_it_gives_the_catalogue_of_guides_by_service(self, hall):
        matters = hall.catalogue()
        assert len(matters) == 18 and [m.service for m in matters] == sorted(m.service for m in matters)
        pension = next(m for m in matters if m.code == "140830-RS-0101")
        assert pension.promised_days == 5 and pension.supervision_phone == "0359-3021190"
        assert pension.name["en"] == "Claiming the rural and urban residents' pension"

    def test_a_case_is_found_by_its_receipt_link_and_by_the_card_hash_and_a_forged_link_is_not(self, hall, clock):
        number = "11010519491231002X"
        salt = hall.case_salt()  # the hall's key file exists from here on
        spec = load_hall(SAMPLE_HALL)
        keys = PersonKeys(read_key_file(self.person_key_file), hall_id=spec.hall.id, zone=spec.zone)
        engine = engine_on(self.database_url)
        try:
            with engine.transaction() as session:
                case = cases.open_case(session, spec=spec, catalogue=load_catalogue(SAMPLE_HALL, spec),
                                       code="140830-GA-0302", job_no="0301", now=clock(), documents=[0],
                                       applicant=Applicant(masked(number), lookup_hash(keys, number)))
                case_id, case_number = case.id, case.number
            token = engine.signer.sign(LINK_PURPOSE, str(case_id))
            other_purpose = engine.signer.sign("ticket", str(case_id))
        finally:
            engine.close()
        found = hall.case_by_link(token)
        assert (found.number, found.state.value, [d["zh_CN"] for d in found.owed]) == (
            case_number, "accepted", ["户口簿", "房屋产权证明或租赁合同"])
        for forged in (token[:-3] + "AAA", other_purpose, "x", "1." + "A" * 22):
            with pytest.raises(MatterRefused):
                hall.case_by_link(forged)
        assert [c.number for c in hall.cases_of_person(number_hash(number, salt))] == [case_number]
        assert hall.cases_of_person(number_hash("110105194912310038", salt)) == []

    def test_it_describes_the_hall(self, hall):
        assert hall.spec.hall.id == "chengguan"
        assert [s.code for s in hall.spec.services][:2] == ["social_security", "medical_insurance"]

    def test_tickets_are_numbered_per_service(self, hall):
        a1 = hall.issue_ticket("social_security")
        a2 = hall.issue_ticket("social_security")
        b1 = hall.issue_ticket("medical_insurance")
        assert (a1.number, a2.number, b1.number) == ("A001", "A002", "B001")
        # Three counters free: A001 and A002 are called at once, neither before the other.
        assert a2.status is TicketStatus.WAITING and a2.ahead == 0 and a2.estimated_wait_minutes == 0
        assert a2.counters == ("1", "2", "8")
        assert a2.issued_at == OPEN_MORNING and a2.issued_at.tzinfo is not None
        assert a2.day == OPEN_MORNING.date()

    def test_priority_tickets_are_tagged_and_go_first(self, hall):
        hall.issue_ticket("household")
        green = hall.issue_ticket("household", priority=Priority.GREEN)
        assert green.priority is Priority.GREEN and green.ahead == 0

    def test_status_reports_every_service_in_order(self, hall):
        hall.issue_ticket("taxation")
        statuses = hall.services_status()
        assert [s.code for s in statuses] == [s.code for s in hall.spec.services]
        taxation = next(s for s in statuses if s.code == "taxation")
        assert taxation.waiting == 1 and taxation.issued_today == 1 and taxation.refusal is None

    def test_an_unknown_service_is_refused(self, hall):
        with pytest.raises(TicketRefused) as refused:
            hall.issue_ticket("fishing_licences")
        assert refused.value.reason is RefusalReason.UNKNOWN_SERVICE

    def test_closed_hours_are_refused_with_the_next_opening(self, hall, clock):
        clock.now = OPEN_MORNING.replace(day=29)  # a Sunday
        with pytest.raises(TicketRefused) as refused:
            hall.issue_ticket("veterans")
        assert refused.value.reason is RefusalReason.CLOSED_TODAY
        assert refused.value.reopens_at.astimezone(SHANGHAI).isoformat() == "2026-11-30T08:30:00+08:00"
        assert all(s.refusal is RefusalReason.CLOSED_TODAY for s in hall.services_status())

    def test_a_ticket_is_looked_up_as_it_stands(self, hall):
        first = hall.issue_ticket("household")
        second = hall.issue_ticket("household")
        assert hall.ticket(second.id) == second and hall.ticket(first.id).ahead == 0
        with pytest.raises(TicketNotFound):
            hall.ticket(424242)

    def test_a_retry_with_the_same_key_gives_the_same_ticket(self, hall):
        first = hall.issue_ticket("taxation", idempotency_key="kiosk-01-20261125-0001")
        again = hall.issue_ticket("taxation", idempotency_key="kiosk-01-20261125-0001")
        other = hall.issue_ticket("taxation", idempotency_key="kiosk-01-20261125-0002")
        assert again == first and first.number == "G001" and other.number == "G002"
        assert [s.issued_today for s in hall.services_status() if s.code == "taxation"] == [2]

    def test_one_open_ticket_a_person_a_day_and_the_green_channel_by_age(self, hall, clock):
        person = number_hash("11010519491231002X", hall.person_salt())
        first = hall.issue_ticket("household", person_hash=person, age=76)
        assert first.priority is Priority.GREEN
        assert hall.issue_ticket("taxation", person_hash="0" * 64, age=69).priority is Priority.NORMAL
        clock.now = OPEN_MORNING + timedelta(minutes=20)
        with pytest.raises(TicketRefused) as refused:
            hall.issue_ticket("taxation", person_hash=person, age=76)
        assert refused.value.reason is RefusalReason.ALREADY_HAS_TICKET
        assert refused.value.earlier == EarlierTicket(number="C001", service="household", issued_at=OPEN_MORNING)
        with pytest.raises(TicketRefused) as refused:
            hall.issue_ticket("housing_fund")
        assert refused.value.reason is RefusalReason.IDENTIFICATION_REQUIRED

    def test_the_person_key_is_todays_from_a_file_of_its_owner_alone(self, hall, clock):
        """The key file, not the database, keys the hashes; each day its own, so the same card
        hashes differently the next day."""
        today = hall.person_salt()
        assert stat.S_IMODE(self.person_key_file.stat().st_mode) == 0o600
        keys = PersonKeys(read_key_file(self.person_key_file), hall_id="chengguan", zone=SHANGHAI)
        assert today == hall.person_salt() == keys.for_day(OPEN_MORNING.date())
        clock.now = OPEN_MORNING + timedelta(days=1)
        tomorrow = hall.person_salt()
        assert tomorrow == keys.for_day(OPEN_MORNING.date() + timedelta(days=1)) != today
        assert number_hash("11010519491231002X", tomorrow) != number_hash("11010519491231002X", today)

    def test_a_persons_open_tickets_and_the_services_still_open_to_them(self, hall, clock):
        person = number_hash("11010519491231002X", hall.person_salt())
        everything = tuple(s.code for s in hall.spec.services)
        assert hall.person_tickets(person).tickets == () and hall.person_tickets(person).open_to == everything
        first = hall.issue_ticket("household", person_hash=person)
        hall.issue_ticket("household")  # someone else's
        clock.now = OPEN_MORNING + timedelta(minutes=5)
        held = hall.person_tickets(person)
        assert [(t.number, t.ahead, t.counters) for t in held.tickets] == [("C001", 0, first.counters)]
        assert held.open_to == ("veterans",)  # counted apart (person_limit = "service"); the rest, one a day
        hall.issue_ticket("veterans", person_hash=person)
        assert [t.number for t in hall.person_tickets(person).tickets] == ["C001", "H001"]
        assert hall.person_tickets(person).open_to == ()
        assert hall.person_tickets("0" * 64).open_to == everything

    def test_a_booking_checks_in_once_and_each_refusal_says_why(self, hall, clock):
        code = self.booking_code("B1")
        booked = hall.check_in(code, idempotency_key="kiosk-01-scan-0001")
        assert (booked.number, booked.priority) == ("C001", Priority.BOOKED)
        assert hall.check_in(code, idempotency_key="kiosk-01-scan-0001") == booked  # a retry
        refusals = {}
        for name, text in (("again", code.lower()), ("forged", self.booking_code("B2", key=bytes(32))),
                           ("early", self.booking_code("B3", window=(time(10), time(11)))),
                           ("expired", self.booking_code("B4", day=OPEN_MORNING.date() - timedelta(days=1)))):
            with pytest.raises(TicketRefused) as refused:
                hall.check_in(text)
            refusals[name] = refused.value
        assert refusals["again"].reason is RefusalReason.BOOKING_USED and refusals["again"].earlier.number == "C001"
        assert refusals["forged"].reason is RefusalReason.BOOKING_FORGED
        assert refusals["early"].reason is RefusalReason.BOOKING_EARLY
        assert refusals["early"].reopens_at == OPEN_MORNING.replace(hour=9, minute=30)
        assert refusals["expired"].reason is RefusalReason.BOOKING_EXPIRED
        assert all(r.service == "household" for r in refusals.values())

    def test_a_scanned_ticket_is_found_by_its_signed_link_or_todays_number(self, hall, clock):
        ticket = hall.issue_ticket("household")
        token = self.token_of(hall, ticket)
        assert hall.ticket_by_link(token).number == "C001"
        assert hall.ticket_by_number("C001").id == ticket.id
        for wrong in (token[:-2] + "xx", "1.abcdefghijklmnopqrstuv", "x" * 300):
            with pytest.raises(TicketNotFound):
                hall.ticket_by_link(wrong)
        with pytest.raises(TicketNotFound):
            hall.ticket_by_number("C002")
        clock.now = OPEN_MORNING + timedelta(days=1)
        with pytest.raises(TicketNotFound):
            hall.ticket_by_number("C001")

    def test_device_status_reaches_the_hall(self, hall):
        """Accepted at once, and then stored by the hall: the embedded one at once, the
        remote one once its outbox has delivered it."""
        hall.report_device("kiosk-01/printer", "printer", "paper_out", "paper sensor")
        hall.report_device("kiosk-01/printer", "printer", "ok")
        engine = create_engine(self.database_url)
        try:
            def stored() -> list[tuple]:
                with engine.connect() as con:
                    return [tuple(r) for r in con.execute(text(
                        "select kind, payload from events where kind = 'device_status' order by id"))]
            reports = until(lambda: len(stored()) == 2 and stored(), seconds=30,
                            what=lambda: f"both reports in the hall's event log; it holds {stored()}")
            assert [json.loads(payload)["status"] for _, payload in reports] == ["paper_out", "ok"]
            with engine.connect() as con:
                assert con.execute(text("select device_id, status from device_status")).all() == [
                    ("kiosk-01/printer", "ok")]
        finally:
            engine.dispose()

    def test_a_help_call_is_one_open_call_or_is_refused(self, hall):
        """Pressed twice, one call that the kiosk follows; a hall without consoles refuses
        it as it refuses anything it cannot do now."""
        assert hall.takes_help_calls is self.takes_help_calls
        if not self.takes_help_calls:
            with pytest.raises(HallUnavailable):
                hall.call_for_help("一楼东门")
            return
        first = hall.call_for_help("一楼东门", idempotency_key="help-kiosk-01-0001")
        again = hall.call_for_help("一楼东门")
        assert (again.id, again.presses, again.location) == (first.id, 2, "一楼东门")
        assert hall.call_for_help("一楼东门", idempotency_key="help-kiosk-01-0001") == first  # a retry
        assert hall.help_call(first.id).taken_at is None
        with pytest.raises(HelpCallNotFound):
            hall.help_call(424242)

    def test_a_completed_transaction_is_rated_late_once_and_each_refusal_says_why(self, hall, clock):
        """As a kiosk rates a scanned ticket: channel kiosk, one rating, the hall's reasons."""
        ticket = hall.issue_ticket("household")
        with pytest.raises(RatingRefused) as refused:
            hall.rate(ticket.id, 5, reasons=[], idempotency_key="kiosk-rating-waiting")
        assert refused.value.reason is RatingRefusal.NOT_COMPLETED
        engine = QueueEngine(load_hall(SAMPLE_HALL), self.database_url, clock=clock)
        try:
            engine.call_next("3")
            engine.complete("3")  # by an engine without a server: nothing written of its rating yet
        finally:
            engine.close()
        assert hall.rating_status(ticket.id).state is None
        key = f"kiosk-rating-{ticket.id}"
        with pytest.raises(RatingRefused) as refused:
            hall.rate(ticket.id, 2, reasons=[], idempotency_key=key)
        assert refused.value.reason is RatingRefusal.REASON_REQUIRED
        with pytest.raises(RatingRefused) as refused:
            hall.rate(ticket.id, 2, reasons=["no_such_reason"], idempotency_key=key)
        assert refused.value.reason is RatingRefusal.UNKNOWN_REASON
        receipt = hall.rate(ticket.id, 2, reasons=["slow"], idempotency_key=key)
        assert (receipt.ticket_id, receipt.state, receipt.channel) == (ticket.id, RatingState.RATED, Channel.KIOSK)
        assert hall.rate(ticket.id, 2, reasons=["slow"], idempotency_key=key) == receipt  # a retry
        status = hall.rating_status(ticket.id)
        assert (status.state, status.rateable_until) == (RatingState.RATED, None)
        for level, again in ((5, key), (5, "kiosk-rating-another-kiosk")):
            with pytest.raises(RatingRefused) as refused:
                hall.rate(ticket.id, level, reasons=[], idempotency_key=again)
            assert refused.value.reason is RatingRefusal.ALREADY_RATED
        with pytest.raises(RatingRefused) as refused:
            hall.rating_status(424242)
        assert refused.value.reason is RatingRefusal.NOT_FOUND


class TestEmbeddedHall(HallContract):
    takes_help_calls = False

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.database_url = f"sqlite:///{tmp_path / 'hall.db'}"
        self.person_key_file = tmp_path / "person.key"

    def make_hall(self, clock) -> Hall:
        return EmbeddedHall(load_hall(SAMPLE_HALL), self.database_url, person_key_file=self.person_key_file,
                            hall_file=SAMPLE_HALL, clock=clock)

    def token_of(self, hall, ticket) -> str:
        assert ticket.link is None  # a hall without a server prints the ticket's code
        engine = engine_on(self.database_url)
        try:
            return engine.ticket_token(ticket.id)
        finally:
            engine.close()

    def test_a_closed_hall_stays_closed(self, clock, tmp_path):
        """A job still running as the kiosk stops is refused: it must not open the database
        again behind the shutdown (the folder may be on its way out)."""
        hall = self.make_hall(clock)
        hall.issue_ticket("social_security")
        hall.close()
        (tmp_path / "hall.db").unlink()
        with pytest.raises(HallUnavailable, match="closed"):
            hall.services_status()
        with pytest.raises(HallUnavailable, match="closed"):
            hall.report_device("kiosk-01/printer", "printer", "ok")
        assert not (tmp_path / "hall.db").exists()


class TestRemoteHall(HallContract):
    takes_help_calls = True

    @pytest.fixture
    def clock(self, file_clock):
        return file_clock  # the server process reads the test's time from its file

    @pytest.fixture(autouse=True)
    def _server(self, hall_server, tmp_path):
        self.token = hall_server.register("kiosk-01")
        self.server = hall_server.start()
        self.folder = tmp_path / "kiosk"
        self.database_url = hall_server.args["database"]
        self.person_key_file = Path(hall_server.args["data_dir"]) / KEY_FILE

    def make_hall(self, clock) -> Hall:
        return RemoteHall(self.server.url, self.token, data_dir=self.folder)

    def token_of(self, hall, ticket) -> str:
        return ticket.link.rsplit("/", 1)[1]

    def test_its_tickets_link_to_the_server(self, hall):
        ticket = hall.issue_ticket("household")
        assert ticket.link.startswith(f"{self.server.url}/t/{ticket.id}.")
