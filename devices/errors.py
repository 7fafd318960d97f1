"""Exceptions raised by device drivers.

Narrow classes so the kiosk can map each one to a consequence and a translated message for the
citizen by a table; the messages here are English, for technicians and logs, and name the
device URL and the underlying cause.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every error a device driver raises on purpose."""


class BadDeviceUrl(DeviceError, ValueError):
    """A device URL with an unknown scheme, option or value: a configuration mistake, not a fault."""


class UnknownPrinterProfile(DeviceError, LookupError):
    """A printer profile name that is not in ``PROFILES``: a configuration mistake."""


class PrinterError(DeviceError):
    """Base of the ticket printer's errors."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class PrinterUnavailable(PrinterError):
    """The printer could not be opened (absent device, refused connection, no permission)."""


class PrinterOffline(PrinterError):
    """The printer does not answer or says it is offline (cover open, power off, cable out)."""


class PaperOut(PrinterError):
    """The roll paper end sensor reports no paper."""


class PrinterWriteFailed(PrinterError):
    """Sending the ticket failed part way: the ticket may be missing or cut short."""
