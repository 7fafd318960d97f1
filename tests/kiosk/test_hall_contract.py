"""What every Hall implementation promises the screens: the embedded hall and the remote
hall (against a real server process on 127.0.0.1) pass the same tests."""
from __future__ import annotations

import pytest

from hall.errors import HelpCallNotFound, RefusalReason, TicketNotFound, TicketRefused
from hall.tickets import Priority, TicketStatus
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.hall_client import Hall, HallUnavailable
from kiosk.remote import RemoteHall
from tests.conftest import OPEN_MORNING, SAMPLE_HALL, SHANGHAI


class HallContract:
    """Subclasses provide `make_hall(clock)`, and say whether staff consoles answer help calls."""

    takes_help_calls: bool

    def make_hall(self, clock) -> Hall:
        raise NotImplementedError

    @pytest.fixture
    def hall(self, clock):
        hall = self.make_hall(clock)
        yield hall
        hall.close()

    def test_it_describes_the_hall(self, hall):
        assert hall.spec.hall.id == "chengguan"
        assert [s.code for s in hall.spec.services][:2] == ["social_security", "medical_insurance"]

    def test_tickets_are_numbered_per_service(self, hall):
        a1 = hall.issue_ticket("social_security")
        a2 = hall.issue_ticket("social_security")
        b1 = hall.issue_ticket("medical_insurance")
        assert (a1.number, a2.number, b1.number) == ("A001", "A002", "B001")
        assert a2.status is TicketStatus.WAITING and a2.ahead == 1
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

    def test_device_status_is_accepted(self, hall):
        hall.report_device("k1/printer", "printer", "paper_out", "paper sensor")
        hall.report_device("k1/printer", "printer", "ok")

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


class TestEmbeddedHall(HallContract):
    takes_help_calls = False

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.db = tmp_path / "hall.db"

    def make_hall(self, clock) -> Hall:
        return EmbeddedHall(load_hall(SAMPLE_HALL), f"sqlite:///{self.db}", clock=clock)


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

    def make_hall(self, clock) -> Hall:
        return RemoteHall(self.server.url, self.token, data_dir=self.folder)

    def test_its_tickets_link_to_the_server(self, hall):
        ticket = hall.issue_ticket("household")
        assert ticket.link.startswith(f"{self.server.url}/t/{ticket.id}.")
