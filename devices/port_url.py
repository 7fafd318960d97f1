"""Device URLs read in one place: the port a URL names and the options in its query.

Every serial-like device (the ticket printer, the ID card reader, the code scanner) is opened
with pyserial's ``serial_for_url``; this module turns our URL forms into that call's
arguments and refuses what it cannot read, quoting the URL and the expected form, so a typo
in kiosk.toml fails at start-up instead of as a silent default::

    serial:///dev/ttyUSB0?baudrate=115200[&bytesize=8&parity=N&stopbits=1&rtscts=0&xonxoff=0&dsrdtr=0]
    tcp://HOST:PORT        a device behind a serial-to-network bridge (pyserial's socket://)
    loop://                pyserial's loop-back, for tests
    sim<device>://?...     our simulators (devices.urlhandler), options checked by each

The simulators read their own options through :func:`simulator_options` and :func:`flag`.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from typing import Any

import serial

from devices.errors import BadDeviceUrl, DeviceFault, cause

try:
    from termios import error as _TermiosError
except ImportError:  # not a POSIX system
    _TermiosError = OSError
# What a port raises when its device goes away: SerialException (an OSError) mostly, but
# pyserial lets termios.error through from tcflush and OSError from the TIOCINQ ioctl of a
# tty whose other side closed.
PORT_ERRORS: tuple[type[BaseException], ...] = (OSError, _TermiosError)

# Our sim<device>:// schemes, found by serial_for_url as devices.urlhandler.protocol_<scheme>.
if "devices.urlhandler" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("devices.urlhandler")

SERIAL_FORM = (
    "serial:///dev/ttyS0?baudrate=9600[&bytesize=8&parity=N|E|O|M|S&stopbits=1|1.5|2"
    "&rtscts=0|1&xonxoff=0|1&dsrdtr=0|1]"
)
_SERIAL_OPTIONS = ("baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr")
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD,
             "M": serial.PARITY_MARK, "S": serial.PARITY_SPACE}
_STOPBITS = {"1": serial.STOPBITS_ONE, "1.5": serial.STOPBITS_ONE_POINT_FIVE, "2": serial.STOPBITS_TWO}


def open_port(port_url: str, *, url: str, device: str, unavailable: type[DeviceFault],
              **options: Any) -> serial.SerialBase:
    """Opens a device's port. What the machine refuses (no such device, no permission, a
    bridge that does not answer) is the device being unavailable, told as ``unavailable``
    with the device and the cause on one line; a URL written wrong stays a BadDeviceUrl,
    a configuration mistake."""
    try:
        return serial.serial_for_url(port_url, **options)
    except BadDeviceUrl:
        raise
    except (*PORT_ERRORS, ValueError) as e:
        raise unavailable(f"cannot open the {device} {url}: {cause(e)}", url=url) from e


def close_port(port: serial.SerialBase, *, url: str, device: str) -> None:
    """Closes a device's port; failing to (a device already gone) is logged, never raised."""
    try:
        port.close()
    except PORT_ERRORS as e:
        logging.getLogger("devices").warning("%s %s: close failed: %s", device, url, cause(e))


def end_reading(port: serial.SerialBase | None, reader: threading.Thread) -> None:
    """Ends the blocking read of a thread that owns ``port`` and waits for the thread (2 s at most)."""
    if port is not None:
        try:
            port.cancel_read()
        except PORT_ERRORS:
            pass
    if reader.is_alive():
        reader.join(2)


def url_scheme(url: str) -> str:
    """The scheme in lower case; empty for a bare path such as ``/dev/usb/lp0``."""
    return urllib.parse.urlsplit(url).scheme.lower() if "://" in url else ""


def one_value_options(url: str, query: str) -> dict[str, str]:
    """The query as a dict, refusing an option given twice (which value would win is a guess)."""
    options: dict[str, str] = {}
    for option, values in urllib.parse.parse_qs(query, keep_blank_values=True).items():
        if len(values) != 1:
            raise BadDeviceUrl(f"{url!r}: option {option!r} given {len(values)} times")
        options[option] = values[0]
    return options


def reject_options(url: str, query: str, expected: str) -> None:
    if query:
        raise BadDeviceUrl(f"{url!r}: this kind of URL takes no options; expected one of: {expected}")


def flag(option: str, value: str) -> bool:
    """A yes/no option; raises ValueError naming the option for anything else."""
    try:
        return _FLAGS[value.lower()]
    except KeyError:
        raise ValueError(f"{option} must be 1 or 0, not {value!r}") from None


def serial_options(url: str, query: str) -> dict[str, Any]:
    """pyserial keyword arguments from a ``serial://`` URL's query, each value checked and converted."""
    result: dict[str, Any] = {}
    for option, value in one_value_options(url, query).items():
        if option not in _SERIAL_OPTIONS:
            raise BadDeviceUrl(f"{url!r}: unknown option {option!r}; expected {SERIAL_FORM}")
        try:
            if option == "baudrate":
                result[option] = int(value)
                if result[option] <= 0:
                    raise ValueError
            elif option == "bytesize":
                result[option] = int(value)
                if result[option] not in serial.Serial.BYTESIZES:
                    raise ValueError
            elif option == "parity":
                result[option] = _PARITIES[value.upper()]
            elif option == "stopbits":
                result[option] = _STOPBITS[value]
            else:
                result[option] = _FLAGS[value.lower()]
        except (ValueError, KeyError):
            raise BadDeviceUrl(f"{url!r}: bad value {value!r} for {option}; expected {SERIAL_FORM}") from None
    return result


def port_target(url: str, *, expected: str, default_tcp_port: int | None = None,
                default_baudrate: int | None = None, simulator: str | None = None,
                device: str = "device") -> tuple[str, dict[str, Any]]:
    """The pyserial URL and keyword arguments for ``serial://``, ``tcp://``, ``loop://`` and
    the device's ``simulator`` scheme (whose URL pyserial takes as it is).

    ``expected`` lists the forms the caller's device takes, for the error message;
    ``default_tcp_port`` fills in a missing port (a device without a usual port requires it);
    ``default_baudrate`` applies when a ``serial://`` URL does not name one.
    """
    parts = urllib.parse.urlsplit(url)
    scheme = url_scheme(url)
    if simulator is not None and scheme == simulator:
        return url, {}  # its options are the simulator's own (devices.urlhandler.simulator_urls)
    if scheme == "serial":
        port = parts.netloc + parts.path  # serial:///dev/ttyS0 or serial://COM3
        if not port:
            raise BadDeviceUrl(f"{url!r}: no port named; expected one of: {expected}")
        options = serial_options(url, parts.query)
        if default_baudrate is not None:
            options.setdefault("baudrate", default_baudrate)
        return port, options
    if scheme == "tcp":
        reject_options(url, parts.query, expected)
        port_form = f"[:{default_tcp_port}]" if default_tcp_port else ":PORT"
        try:
            host, tcp_port = parts.hostname, parts.port
        except ValueError:  # tcp://HOST:99999, tcp://HOST:abc
            raise BadDeviceUrl(f"{url!r}: the port must be a number from 1 to 65535; "
                               f"expected tcp://HOST{port_form}") from None
        if tcp_port == 0 or tcp_port is None and parts.netloc.endswith(":"):  # else the default
            raise BadDeviceUrl(f"{url!r}: port {'0' if tcp_port == 0 else 'empty'} is no device's port; "
                               f"expected tcp://HOST{port_form}")
        tcp_port = tcp_port or default_tcp_port
        if not host or not tcp_port or parts.path not in ("", "/"):
            raise BadDeviceUrl(f"{url!r}: expected tcp://HOST{port_form}")
        return f"socket://{host}:{tcp_port}", {}
    if scheme == "loop":
        reject_options(url, parts.query, expected)
        return "loop://", {}
    raise BadDeviceUrl(f"unknown {device} URL {url!r}; expected one of: {expected}")


def simulator_options(url: str, scheme: str, expected_form: str) -> dict[str, str]:
    """The options of one of our ``sim<device>://`` URLs, which name no host or path."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != scheme or parts.netloc or parts.path not in ("", "/"):
        raise BadDeviceUrl(f"expected a URL of the form {expected_form}, got {url!r}")
    try:
        return one_value_options(url, parts.query)
    except BadDeviceUrl as e:
        raise BadDeviceUrl(f"expected a URL of the form {expected_form}: {e}") from None
