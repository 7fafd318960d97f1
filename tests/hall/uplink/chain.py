"""The parts of a reporting chain, each in its own process as installed: hall and parent
servers (tests.support.servers.HallServer), the uplink senders (python -m hall uplink), and
the registration of a child as an installer does it (python -m hall add-hall)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLE_HALL
from tests.hall.conftest import lift_quotas
from tests.support.servers import FileClock, HallServer, ServerProcess


def hall_file(folder: Path, hall_id: str) -> Path:
    """The sample hall under another id, without daily quotas (a busy day's tickets)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hall.toml"
    path.write_text(SAMPLE_HALL.read_text(encoding="utf-8").replace('id = "chengguan"', f'id = "{hall_id}"', 1),
                    encoding="utf-8")
    return lift_quotas(path)


def server(folder: Path, hall_id: str, database: str, clock: FileClock,
           tls: tuple[Path, Path] | None = None) -> HallServer:
    return HallServer(data_dir=folder / "data", database=database, hall_file=hall_file(folder, hall_id), clock=clock,
                      tls=tls)


def add_hall(parent: HallServer, hall_id: str, region: str, name: str = "城关镇便民服务中心") -> str:
    """The child's uplink token, as python -m hall add-hall prints it on the parent."""
    done = subprocess.run([sys.executable, "-m", "hall", "add-hall", hall_id, "--name", name, "--region", region,
                           "--database", parent.args["database"], "--hall", parent.args["hall_file"],
                           "--data-dir", parent.args["data_dir"]], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"shown only now", done.stdout), done.stdout
    return done.stdout.strip().splitlines()[-1]


class Sender:
    """python -m hall uplink for a hall (or, relaying, a parent) toward its parent."""

    def __init__(self, child: HallServer, parent: HallServer, token: str, *, relay: bool = False, batch: int = 500):
        self.command = [sys.executable, "-m", "hall", "uplink", "--parent", parent.url, "--database",
                        child.args["database"], "--hall", child.args["hall_file"], "--data-dir",
                        child.args["data_dir"], "--batch", str(batch), "--backoff-cap", "1"]
        if relay:
            self.command.append("--relay")
        self.env = {**os.environ, "HALL_UPLINK_TOKEN": token}
        self.log = Path(child.args["data_dir"]) / f"uplink-{'relay' if relay else 'hall'}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Sender:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    kill = ServerProcess.kill
