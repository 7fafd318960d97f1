"""The options of our ``sim<device>://`` URLs, read in one place and light to import: each
simulator reads its URL here when its port opens, and the kiosk's start-up check reads it
here too (check_simulator_url), without loading the simulators."""

from __future__ import annotations

from pathlib import Path

from devices.errors import BadDeviceUrl
from devices.port_url import flag, simulator_options, url_scheme

SIMPRINTER_FORM = '"simprinter://[?spool=DIR][&paper=ok|near_end|out][&online=1|0][&fail_after=N][&columns=N]"'
PAPER_STATES = ("ok", "near_end", "out")

SIMIDCARD_FORM = (
    '"simidcard://[?card=FILE][&present=1|0][&loop=0|1][&baudrate=N][&fault=bad_checksum|truncated|silent|'
    'sam_error|lifted][&fault_on=status|find|select|read][&fault_times=N][&sw=HEX]"'
)
FAULTS = ("bad_checksum", "truncated", "silent", "sam_error", "lifted")
FAULT_ON = ("status", "find", "select", "read")

SIMSCANNER_FORM = '"simscanner://[?suffix=cr|lf|crlf][&encoding=utf-8|gb18030]"'
SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
ENCODINGS = ("utf-8", "gb18030")


def simprinter_options(url: str) -> dict[str, object]:
    """``fail_after`` for the port, the rest for SimulatedPrinter."""
    options: dict[str, object] = {}
    try:
        for option, value in simulator_options(url, "simprinter", SIMPRINTER_FORM).items():
            if option == "spool":
                options["spool"] = Path(value)
            elif option == "paper":
                if value not in PAPER_STATES:
                    raise ValueError(f"paper must be one of {'|'.join(PAPER_STATES)}, not {value!r}")
                options["paper"] = value
            elif option == "online":
                options["online"] = flag(option, value)
            elif option == "fail_after":
                options["fail_after"] = int(value)
                if options["fail_after"] < 0:
                    raise ValueError("fail_after must be 0 or more")
            elif option == "columns":
                options["columns"] = int(value)
                if not 16 <= options["columns"] <= 255:
                    raise ValueError(f"columns must be 16 to 255, not {value!r}")
            else:
                raise ValueError(f"unknown option: {option!r}")
    except ValueError as e:
        raise BadDeviceUrl(f"expected a URL of the form {SIMPRINTER_FORM}: {e}") from None
    return options


def simidcard_options(url: str) -> dict[str, object]:
    """``baudrate`` paces the port, ``card_file`` holds the cards, the rest build the
    SimulatedIdCardReader."""
    options: dict[str, object] = {}
    try:
        for option, value in simulator_options(url, "simidcard", SIMIDCARD_FORM).items():
            if option == "card":
                try:
                    Path(value).open("rb").close()
                except OSError as e:
                    raise BadDeviceUrl(f"simidcard card file {value!r}: {e.strerror}") from None
                options["card_file"] = Path(value)
            elif option in ("present", "loop"):
                options[option] = flag(option, value)
            elif option == "fault":
                if value not in FAULTS:
                    raise ValueError(f"fault must be one of {'|'.join(FAULTS)}, not {value!r}")
                options["fault"] = value
            elif option == "fault_on":
                if value not in FAULT_ON:
                    raise ValueError(f"fault_on must be one of {'|'.join(FAULT_ON)}, not {value!r}")
                options["fault_on"] = value
            elif option == "fault_times":
                options["fault_times"] = int(value)
                if options["fault_times"] < 0:
                    raise ValueError("fault_times must be 0 or more")
            elif option == "sw":
                options["fault_status"] = int(value, 16)
                if not 0 <= options["fault_status"] <= 0xFF:
                    raise ValueError("sw must be one byte in hex, such as 60")
            elif option == "baudrate":
                options["baudrate"] = int(value)
                if options["baudrate"] <= 0:
                    raise ValueError("baudrate must be above 0")
            else:
                raise ValueError(f"unknown option: {option!r}")
    except ValueError as e:
        if isinstance(e, BadDeviceUrl):
            raise
        raise BadDeviceUrl(f"expected a URL of the form {SIMIDCARD_FORM}: {e}") from None
    return options


def simscanner_options(url: str) -> dict[str, object]:
    """SimulatedScanner's options."""
    options: dict[str, object] = {}
    for option, value in simulator_options(url, "simscanner", SIMSCANNER_FORM).items():
        if option == "suffix" and value in SUFFIXES:
            options["suffix"] = SUFFIXES[value]
        elif option == "encoding" and value in ENCODINGS:
            options["encoding"] = value
        else:
            raise BadDeviceUrl(f"expected a URL of the form {SIMSCANNER_FORM}: bad option {option}={value!r}")
    return options


READERS = {"simprinter": simprinter_options, "simidcard": simidcard_options, "simscanner": simscanner_options}


def check_simulator_url(url: str) -> None:
    """Reads a ``sim<device>://`` URL's options as its simulator does when the port opens
    (as above), without loading the simulator: BadDeviceUrl at
    start, not at the first ticket. A simulator without a reader there (the keypad line's,
    which only the keypad bridge opens) checks its options when its port opens."""
    read = READERS.get(url_scheme(url))
    if read is not None:
        read(url)
