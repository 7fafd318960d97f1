"""Entry point of the terminal.

    python main.py [--mode ticket|counter] [--config FILE]
    python main.py test-print --printer URL [--config FILE] [--language zh_CN|zh_TW|en]
    python main.py read-id [--reader URL] [--config FILE]
    python main.py status [--config FILE]
    python main.py keypad-bridge [--config FILE]   (the bridge's own file, default config/keypads.toml)

Exit codes: 0 done, 1 a device or the hall failed, 2 the configuration (or the machine's
set-up, such as a missing Chinese font) must be fixed first.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys

from hall.spec import LANGUAGES
from pydantic import ValidationError

from kiosk.config import ConfigError, Devices, Settings, load_settings

log = logging.getLogger("kiosk")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description="Hall self-service terminal")
    parser.add_argument("--config", help="the terminal's configuration file (default: config/kiosk.toml)")
    parser.add_argument("--mode", choices=("ticket", "counter"), help="overrides terminal.mode")
    sub = parser.add_subparsers(dest="command")
    tp = sub.add_parser("test-print", help="print a sample ticket through the real ticket code")
    tp.add_argument("--printer", help="printer URL (default: the configured one), e.g. "
                    "serial:///dev/ttyS0?baudrate=9600, tcp://HOST:9100, usb://VID:PID, file:///dev/usb/lp0")
    tp.add_argument("--language", choices=LANGUAGES)
    tp.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    ri = sub.add_parser("read-id", help="read the card on the ID card reader and show it, masked, as JSON")
    ri.add_argument("--reader", help="reader URL (default: the configured one), e.g. "
                    "serial:///dev/ttyUSB0, serial:///dev/ttyS1?baudrate=115200, tcp://HOST:PORT")
    ri.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    st = sub.add_parser("status", help="what waits to reach the hall, and the reports it refused")
    st.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    kb = sub.add_parser("keypad-bridge", help="drive the rating keypads of one line for the hall server (no screen)")
    kb.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def setup_environment(settings: Settings) -> None:
    """Keep every file the program writes under the data directory, and stop Kivy from
    reading our command line; both must happen before Kivy or python-escpos is imported.
    Raises ConfigError when the data directory cannot be used."""
    settings.prepare_data_dir()
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(settings.data_dir / "cache"))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", str(settings.data_dir / "kivy"))
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")


def setup_logging(settings: Settings) -> None:
    logs = settings.data_dir / "logs"
    handlers: list[logging.Handler] = [
        logging.StreamHandler(sys.stderr),
        logging.handlers.RotatingFileHandler(logs / "kiosk.log", maxBytes=2_000_000, backupCount=5,
                                             encoding="utf-8"),
    ]
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def test_print(settings: Settings, url: str | None, language: str | None) -> int:
    from kiosk.terminal import open_printer, print_sample

    if url is not None:
        try:
            Devices(printer=url)  # the configuration's own check: a bare path is a mistake here too
        except ValidationError as exc:
            print(f"--printer {url!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", file=sys.stderr)
            return 2
    printer = open_printer(settings, url)
    try:
        outcome = print_sample(settings, printer, language)
    finally:
        printer.close()
    if outcome.ok:
        low = " (paper near end)" if outcome.paper_low else ""
        print(f"printed a sample ticket on {printer.url}: {outcome.bytes_written} bytes{low}")
        if printer.url.startswith("simprinter"):
            print(f"the simulated printer wrote it under {settings.data_dir / 'printer'}")
        return 0
    print(f"not printed on {printer.url}: {outcome.problem.value}: {outcome.detail}", file=sys.stderr)
    return 1


def read_id(settings: Settings, url: str | None) -> int:
    """What a technician runs after fitting a reader: one card read through the kiosk's own
    driver, shown with the number and the name masked."""
    import json
    from datetime import datetime

    from devices.errors import BadDeviceUrl, DeviceError
    from devices.idcard import open_id_reader
    from kiosk.identity import technician_view

    url = url or settings.devices.id_reader
    try:
        with open_id_reader(url) as reader:
            record = reader.read_card()
    except BadDeviceUrl as exc:
        print(exc, file=sys.stderr)
        return 2
    except DeviceError as exc:
        print(f"no card read: {exc}", file=sys.stderr)
        return 1
    today = datetime.now(settings.hall.zone if settings.hall else None).date()
    print(json.dumps(technician_view(record, today), ensure_ascii=False, indent=2))
    return 0


def status(settings: Settings) -> int:
    """What a technician asks of a kiosk that is or was running: its reports still to be
    delivered and those its hall refused (set aside, with the hall's reason). Exit code 1
    when the hall refused any."""
    from datetime import datetime

    from kiosk.outbox import Outbox
    from kiosk.remote import OUTBOX_FILE

    t = settings.terminal
    print(f"terminal {t.id}: hall {t.hall}")
    path = settings.data_dir / OUTBOX_FILE
    if t.hall == "embedded" or not path.exists():
        print("reports: none waiting (the embedded hall takes them at once)" if t.hall == "embedded"
              else "reports: none waiting")
        return 0
    outbox = Outbox(path)
    try:
        waiting, refused = len(outbox), outbox.set_aside()
    finally:
        outbox.close()
    print(f"reports waiting to be delivered: {waiting}")
    print(f"reports the hall refused, set aside: {len(refused)}")
    for entry in refused:
        when = datetime.fromtimestamp(entry.created_at).isoformat(sep=" ", timespec="seconds")
        what = " ".join(str(entry.body.get(k, "")) for k in ("device_id", "status", "detail")).strip()
        print(f"  {when} {entry.kind} {what}: {entry.refused}")
    return 1 if refused else 0


class CannotStart(Exception):
    """A terminal that cannot open its screen or its hall: the message and the exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def open_terminal(settings: Settings, what: str, window: tuple[int, int], open_hall):
    """What every terminal opens before its app: the Chinese font, its hall (`open_hall()`)
    and the window, full screen or `window` in pixels. Returns the hall."""
    from kiosk.fonts import FontMissing, find_cjk_font
    from kiosk.hall_client import HallUnavailable

    try:
        font = find_cjk_font()
    except FontMissing as exc:
        raise CannotStart(f"cannot start the {what}: {exc}", 2) from exc
    try:
        hall = open_hall()
    except HallUnavailable as exc:
        raise CannotStart(f"cannot start the {what}: {exc}", 1) from exc

    from kivy.config import Config
    if settings.terminal.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
    else:
        Config.set("graphics", "width", str(window[0]))
        Config.set("graphics", "height", str(window[1]))

    from screens.app import use_font
    use_font(font)
    return hall


def run_ticket_kiosk(settings: Settings, *, on_first_frame=None, clock=None) -> int:
    from kiosk.terminal import open_hall, open_inputs, open_printer, open_uplink, ticket_flow

    try:
        hall = open_terminal(settings, "kiosk", (720, 1280), lambda: open_hall(settings, clock=clock))
    except CannotStart as exc:
        print(exc, file=sys.stderr)
        return exc.code
    printer = open_printer(settings)

    from screens.app import KioskApp
    app = KioskApp(lambda listener, runner: ticket_flow(settings, hall, printer, listener=listener,
                                                       runner=runner),
                   lambda flow, post: open_inputs(settings, flow, post))
    if on_first_frame is not None:
        from kivy.core.window import Window

        def first_flip(*_):
            Window.unbind(on_flip=first_flip)
            on_first_frame(app)
        Window.bind(on_flip=first_flip)
    log.info("ticket kiosk %s starting: hall %s, printer %s, ID card reader %s, scanner %s", settings.terminal.id,
             settings.terminal.hall, settings.devices.printer, settings.devices.id_reader, settings.devices.scanner)
    uplink = open_uplink(settings, clock=clock)
    try:
        app.run()
    finally:
        if uplink is not None:
            uplink.stop()
    return 0


def run_counter_terminal(settings: Settings) -> int:
    """The screen facing the citizen at a counter (kiosk.counter_terminal), on its hall server."""
    from kiosk.terminal import counter_flow, follow_events, open_hall

    if settings.terminal.hall == "embedded" or settings.config.counter is None:
        print(f"{settings.path}: a counter terminal needs terminal.hall (the hall server's URL), "
              "terminal.hall_token and a [counter] section", file=sys.stderr)
        return 2
    try:
        hall = open_terminal(settings, "counter terminal", (1280, 800), lambda: open_hall(settings))
    except CannotStart as exc:
        print(exc, file=sys.stderr)
        return exc.code

    from screens.counter_terminal import CounterApp
    app = CounterApp(lambda listener, runner: counter_flow(settings, hall, listener=listener, runner=runner),
                     lambda flow, post: follow_events(settings, flow, post))
    log.info("counter terminal %s starting: hall %s, counter %s", settings.terminal.id, settings.terminal.hall,
             settings.config.counter.id)
    app.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "keypad-bridge":  # its own file: no kiosk.toml, screen or printer
        from kiosk.keypad_bridge_process import run_bridge
        return run_bridge(args.sub_config or args.config)
    try:
        settings = load_settings(getattr(args, "sub_config", None) or args.config)
        setup_environment(settings)
        if args.command is None and settings.terminal.hall == "embedded":
            settings.check_database()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings)
    if args.command == "test-print":
        return test_print(settings, args.printer, args.language)
    if args.command == "read-id":
        return read_id(settings, args.reader)
    if args.command == "status":
        return status(settings)
    mode = args.mode or settings.terminal.mode
    if mode == "counter":
        return run_counter_terminal(settings)
    return run_ticket_kiosk(settings)


if __name__ == "__main__":
    sys.exit(main())
