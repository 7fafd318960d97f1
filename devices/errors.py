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


class DeviceFault(DeviceError):
    """A fault of one device in service; ``url`` names it, for the log and the hall's device status."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class UnknownPrinterProfile(DeviceError, LookupError):
    """A printer profile name that is not in ``PROFILES``: a configuration mistake."""


class PrinterError(DeviceFault):
    """Base of the ticket printer's errors."""


class PrinterUnavailable(PrinterError):
    """The printer could not be opened (absent device, refused connection, no permission)."""


class PrinterOffline(PrinterError):
    """The printer does not answer or says it is offline (cover open, power off, cable out)."""


class PaperOut(PrinterError):
    """The roll paper end sensor reports no paper."""


class PrinterWriteFailed(PrinterError):
    """Sending the ticket failed part way: the ticket may be missing or cut short."""


class IdReaderError(DeviceFault):
    """Base of the ID card reader's errors; ``url`` names the reader."""


class IdReaderUnavailable(IdReaderError):
    """The reader could not be opened, or went away (unplugged, USB-serial bridge reset)."""


class IdReaderTimeout(IdReaderError):
    """No whole reply within the timeout; ``partial`` counts the bytes of a reply cut short.

    A reply that never started means a reader switched off or a wrong port; one cut short
    means a disturbed line, worth a retry.
    """

    def __init__(self, message: str, *, url: str = "", partial: int = 0) -> None:
        super().__init__(message, url=url)
        self.partial = partial


class IdReaderFrameError(IdReaderError):
    """A frame that fails validation: bad length, bad checksum, too short for its kind.

    ``reason`` is ``"length"``, ``"checksum"`` or ``"format"``: the SAM answers the first two
    with its own status codes, so its simulator needs to tell them apart.
    """

    def __init__(self, message: str, *, url: str = "", reason: str = "format") -> None:
        super().__init__(message, url=url)
        self.reason = reason


class SamFault(IdReaderError):
    """The reader's SAM module answered with an error status (``status``, its SW3 byte)."""

    def __init__(self, message: str, *, url: str = "", status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status


class NoCard(IdReaderError):
    """No card on the reader (or the card lies there already read: lift it and place it again)."""


class CardReadFailed(IdReaderError):
    """A card was found but could not be read through: usually lifted before the read ended."""


class CardDataInvalid(IdReaderError):
    """The card's text block does not hold a resident ID card's fields in their forms."""


class ScannerError(DeviceFault):
    """Base of the code scanner's errors; ``url`` names the scanner."""


class ScannerUnavailable(ScannerError):
    """The scanner could not be opened, or went away."""


class UnreadableScan(ScannerError):
    """A scanned line that is neither UTF-8 nor GB18030 text, or longer than any code we read."""


class CameraUnavailable(DeviceFault):
    """The camera could not be opened, or stopped giving frames."""


def cause(error: BaseException) -> str:
    """A low-level error on one line, for a message that names the device: pyserial and the
    OS spread theirs over several lines, or say nothing at all."""
    return " ".join(str(error).split()) or type(error).__name__


class KeypadError(DeviceFault):
    """Base of the rating keypads' errors; ``url`` names their line."""


class KeypadUnavailable(KeypadError):
    """The keypads' line could not be opened, or went away."""


class KeypadFrameError(KeypadError):
    """A keypad frame that fails validation; ``reason`` is ``"length"``, ``"crc"`` or ``"format"``."""

    def __init__(self, message: str, *, url: str = "", reason: str = "format") -> None:
        super().__init__(message, url=url)
        self.reason = reason
