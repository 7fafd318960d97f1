"""A simulated device on the master side of a real pty: the driver under test opens the slave
by name, so everything from the tty to the bytes is the production path."""
from __future__ import annotations

import os
import threading

from devices.urlhandler.simulated_port import SimulatedDevice, serve_fd


class PtyDevice:
    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device
        self.master, self._slave = os.openpty()
        self.url = f"serial://{os.ttyname(self._slave)}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=serve_fd, args=(self.master, device, self._stop), daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """The device goes away: its side of the pty closes."""
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        if self.master >= 0:
            self.unplug()
        os.close(self._slave)
