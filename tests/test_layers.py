"""The layers of DESIGN.md, read from the source: the hall (its domain, server and pages)
reaches no device and no terminal; the drivers stand alone; the screens reach the devices
and the hall only through kiosk/. Every import counts, from inside a function or under
TYPE_CHECKING too (tests.support.imports)."""
from __future__ import annotations

import pytest

from tests.support.imports import imported, modules

RULES = [("hall", ("devices", "kiosk", "screens")),
         ("devices", ("hall", "kiosk", "screens")),
         ("screens", ("devices", "hall"))]


def crossings(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Each import of a forbidden package by a module of `package`, as "module -> import"."""
    return sorted(f"{name} -> {target}" for name, path in modules(package).items() for target in imported(path)
                  if target.split(".")[0] in forbidden)


@pytest.mark.parametrize("package,forbidden", RULES, ids=[package for package, _ in RULES])
def test_a_package_imports_no_layer_it_must_not_reach(package, forbidden):
    assert crossings(package, forbidden) == []


def test_the_check_sees_imports_inside_a_function_and_under_type_checking():
    """kiosk.printing loads the driver inside TicketPrinterService._open, and names its
    class for the type checker only: kiosk may reach devices, and the check sees both."""
    found = crossings("kiosk", ("devices",))
    assert "kiosk.printing -> devices.printer.open_printer" in found
    assert "kiosk.printing -> devices.printer.TicketPrinter" in found
