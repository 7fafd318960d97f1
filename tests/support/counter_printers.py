"""A hall server whose counters have printers, for the tests of the receipt printed at a
counter (the API's and the page's): the sample hall and its matters in a folder of the test,
the counters named printing on network printers on 127.0.0.1 (tests.devices.tcp_printer)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hall.settings import ServerSettings
from tests.conftest import ROOT, SAMPLE_HALL
from tests.devices.tcp_printer import TcpPrinter


def hall_with_printers(folder: Path, urls: dict[str, str]) -> Path:
    """The sample hall and its matters in `folder`, the counters of `urls` naming their
    printers; its hall.toml."""
    hall = SAMPLE_HALL.read_text(encoding="utf-8")
    for counter, url in urls.items():
        hall = hall.replace(f'[[counters]]\nid = "{counter}"\n', f'[[counters]]\nid = "{counter}"\nprinter = "{url}"\n')
    (folder / "hall.toml").write_text(hall, encoding="utf-8")
    shutil.copytree(ROOT / "config" / "matters", folder / "matters")
    return folder / "hall.toml"


@contextmanager
def running(printers: dict[str, TcpPrinter]) -> Iterator[dict[str, TcpPrinter]]:
    """The printers by counter, switched off after."""
    try:
        yield printers
    finally:
        for printer in printers.values():
            printer.close()


def printing_settings(folder: Path, database: str, urls: dict[str, str]) -> ServerSettings:
    """A server's settings in `folder` on `database`, its counters printing at `urls`."""
    return ServerSettings(data_dir=folder, database=database, offline_after=2,
                          hall_file=hall_with_printers(folder, urls))
