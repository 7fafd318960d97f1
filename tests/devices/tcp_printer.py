"""A network ticket printer on 127.0.0.1 for the tests: the simulated printer behind a real
TCP socket (port 9100's part), which can be switched off and on again, or hang up after a
number of bytes, as printers whose firmware restarts do; out of paper, or offline (it takes
the bytes and answers nothing, not even a status request)."""
from __future__ import annotations

import socket
import threading

from devices.urlhandler.protocol_simprinter import SimulatedPrinter


class TcpPrinter:
    def __init__(self, *, hang_up_after: int | None = None, paper: str = "ok", online: bool = True):
        self.hang_up_after = hang_up_after
        self.paper = paper
        self.online = online
        self.jobs: list[bytes] = []   # every job cut, across restarts
        self.received = 0             # bytes taken on the present connection
        self.connections = 0          # connections taken, across restarts
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self.port = 0
        self._listen()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def restart(self) -> None:
        """Switched off and on: every connection dropped, listening again on the same port."""
        self.close()
        self._listen()

    def close(self) -> None:
        for connection in [self._listener, *self._connections]:
            if connection is not None:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
        self._connections.clear()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        printer = SimulatedPrinter(paper=self.paper, online=self.online)
        self.received = 0
        while True:
            try:
                data = connection.recv(4096)
            except OSError:
                return
            if not data:
                connection.close()
                return
            self.received += len(data)
            reply = printer.receive(data)
            while printer.jobs:
                self.jobs.append(printer.jobs.pop(0))
            if reply:
                connection.sendall(reply)
            if self.hang_up_after is not None and self.received >= self.hang_up_after:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
                return
