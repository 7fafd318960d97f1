"""Cutting a serial byte stream into frames that start with a preamble and announce their size.

The ID card reader's SAM frames and the rating keypad's frames share this shape: a fixed
preamble, a header whose length field gives the frame's size, and a check value at the end.
Line noise, frames cut short and frames glued together are handled here once; a device's
protocol module says how big a frame is and whether it is valid.
"""

from __future__ import annotations

from collections import deque

import serial.threaded

from devices.errors import DeviceFault


class PreambleFramer(serial.threaded.Protocol):
    """Fed ``data_received(chunk)`` with chunks of any size; emits whole valid frames.

    Subclasses set ``PREAMBLE`` and ``HEADER_SIZE`` (the bytes, preamble included, that
    hold the length field) and implement :meth:`frame_size` and :meth:`parse`, both raising
    the device's frame error for a frame to refuse. Valid frames go to
    :meth:`frame_received`, refused ones to :meth:`frame_rejected`; by default both land in
    ``events`` in stream order. It never raises on input: noise before a preamble is skipped
    (and counted), and after a bad frame the search resumes one byte past its preamble, so a
    frame cut short by the one that follows it costs only the cut frame.
    """

    PREAMBLE: bytes
    HEADER_SIZE: int
    ERROR: type[DeviceFault]  # the device's frame error, which frame_size and parse raise

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.events: deque = deque()
        self.skipped = 0  # noise bytes dropped outside frames

    def frame_size(self, header: bytes) -> int:
        """The whole frame's size from its header; raises the device's frame error if impossible."""
        raise NotImplementedError

    def parse(self, raw: bytes) -> object:
        """The frame a whole, sized ``raw`` holds; raises the device's frame error if invalid."""
        raise NotImplementedError

    @property
    def pending(self) -> int:
        """Bytes of a frame begun but not yet whole (0 between frames)."""
        return len(self._buffer) if self._buffer.startswith(self.PREAMBLE) else 0

    @property
    def expected(self) -> int | None:
        """The size of the frame in progress, once its length field has arrived."""
        if not self._buffer.startswith(self.PREAMBLE) or len(self._buffer) < self.HEADER_SIZE:
            return None
        try:
            return self.frame_size(bytes(self._buffer[: self.HEADER_SIZE]))
        except self.ERROR:
            return None

    def reset(self) -> None:
        self._buffer.clear()
        self.events.clear()

    def frame_received(self, frame: object) -> None:
        self.events.append(frame)

    def frame_rejected(self, error: DeviceFault) -> None:
        self.events.append(error)

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        preamble = self.PREAMBLE
        while buf:
            start = buf.find(preamble)
            if start < 0:
                # Keep a tail that may be the start of a preamble split across chunks.
                keep = next((n for n in range(len(preamble) - 1, 0, -1) if buf.endswith(preamble[:n])), 0)
                self.skipped += len(buf) - keep
                del buf[: len(buf) - keep]
                return
            if start:
                self.skipped += start
                del buf[:start]
            if len(buf) < self.HEADER_SIZE:
                return
            try:
                end = self.frame_size(bytes(buf[: self.HEADER_SIZE]))
                if len(buf) < end:
                    return
                frame = self.parse(bytes(buf[:end]))
            except self.ERROR as error:
                del buf[:1]  # resume the search inside the bad frame: a good one may start there
                self.frame_rejected(error)
                continue
            del buf[:end]
            self.frame_received(frame)
