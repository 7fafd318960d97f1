"""The kiosk's printing service against network printers on 127.0.0.1 that restart or hang up."""
from __future__ import annotations

import pytest

from kiosk.printing import PrintProblem, TicketPrinterService
from tests.devices.sample_tickets import typical_printout
from tests.devices.tcp_printer import TcpPrinter


@pytest.fixture
def network_printer():
    printer = TcpPrinter()
    yield printer
    printer.close()


def test_a_network_printer_that_restarted_prints_the_next_ticket(network_printer):
    service = TicketPrinterService(network_printer.url, timeout=0.5)
    try:
        assert service.print(typical_printout()).ok
        network_printer.restart()  # the connection the kiosk holds is now dead
        outcome = service.print(typical_printout(number="A002"))
        assert outcome.ok, outcome
        assert len(network_printer.jobs) == 2
    finally:
        service.close()


def test_a_printer_that_hangs_up_before_the_ticket_is_not_reported_printed():
    hanging = TcpPrinter(hang_up_after=6)  # answers both status queries, then closes
    service = TicketPrinterService(hanging.url, timeout=0.5)
    try:
        outcome = service.print(typical_printout())
        assert not outcome.ok
        assert outcome.problem in (PrintProblem.OFFLINE, PrintProblem.ERROR)
        assert hanging.jobs == [] and hanging.received == 6
    finally:
        service.close()
        hanging.close()


def test_a_switched_off_network_printer_is_tried_twice_then_reported(network_printer):
    service = TicketPrinterService(network_printer.url, timeout=0.3)
    try:
        assert service.print(typical_printout()).ok
        network_printer.close()
        outcome = service.print(typical_printout())
        assert outcome.problem is PrintProblem.OFFLINE
    finally:
        service.close()
