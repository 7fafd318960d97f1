"""Fixtures for the device driver tests: a typical ticket on each paper width."""
from __future__ import annotations

import pytest

from devices.printer_profiles import PROFILES, PrinterProfile
from devices.ticket_layout import TicketPrintout
from tests.devices.sample_tickets import typical_printout


@pytest.fixture
def printout() -> TicketPrintout:
    return typical_printout()


@pytest.fixture(params=sorted(PROFILES))
def profile(request) -> PrinterProfile:
    return PROFILES[request.param]
