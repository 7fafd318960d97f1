"""The hall server and its administration.

    python -m hall serve [--host H] [--port P] [--data-dir DIR] [--database URL] [--hall FILE]
                         [--public-url URL] [--offline-after SECONDS] [--workers N]
    python -m hall add-device ID --kind kiosk|counter|display|keypad_bridge [--counters 1,2] [--location PLACE]
                              [--new-token]
    python -m hall set-location ID --location PLACE
    python -m hall add-staff JOB_NO --name NAME --role staff|supervisor|admin [--counters 1,2]
                             [--post POST] [--department DEPARTMENT] [--photo FILE] [--replace]
    python -m hall add-hall ID --name NAME --region CODE [--new-token]
    python -m hall add-region CODE --name NAME
    python -m hall supervise-region JOB_NO --region CODE
    python -m hall uplink --parent URL [--token-file FILE] [--ca FILE] [--relay] [--batch N] [--backoff-cap S]
    python -m hall migrate
    python -m hall person-key [--replace]
    python -m hall booking-key
    python -m hall booking-code --service CODE --day YYYY-MM-DD --window HH:MM-HH:MM [--booking-id ID]

Every command also takes --data-dir, --database, --hall and --person-key-file (or
HALL_DATA_DIR, HALL_DATABASE, HALL_HALL_FILE, HALL_PERSON_KEY_FILE). add-staff asks for the
password twice on a terminal, or reads one line from standard input. uplink reads its token
from --token-file or HALL_UPLINK_TOKEN (docs/uplink.md). Exit codes: 0 done,
1 failed, 2 fix the configuration or the database first.
"""
from __future__ import annotations

import argparse
import errno
import getpass
import logging
import os
import re
import secrets
import socket
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timezone

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hall.configfile import ConfigError
from hall.db import disk_full
from hall.errors import SchemaTooNew, StorageUnusable
from hall.person_keys import PersonKeyError
from hall.schemas import DeviceKind, Role
from hall.settings import ServerSettings

log = logging.getLogger("hall")
OPTIONS = {"hall_file": "hall"}  # settings named otherwise than their option
MAX_WORKERS = 64


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="where the SQLite database lives (default: data)")
    common.add_argument("--database", help="an SQLAlchemy URL, e.g. postgresql+psycopg://hall@127.0.0.1/hall")
    common.add_argument("--hall", dest="hall_file", help="the hall definition (default: config/hall.toml)")
    common.add_argument("--person-key-file", help="the key behind person hashes (default: DATA_DIR/person.key)")
    parser = argparse.ArgumentParser(prog="python -m hall", description="The hall server and its administration")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", parents=[common], help="run the hall server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the hall's network)")
    serve.add_argument("--port", type=int, help="default 8080")
    serve.add_argument("--public-url", help="the address phones reach this server at, for ticket QR codes")
    serve.add_argument("--offline-after", type=int, help="seconds of silence before a kiosk counts as offline (120)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes sharing the port (PostgreSQL only; default 1)")
    device = sub.add_parser("add-device", parents=[common], help="register a terminal and print its token once")
    device.add_argument("device_id", metavar="ID")
    device.add_argument("--kind", required=True, choices=[k.value for k in DeviceKind])
    device.add_argument("--counters", default="",
                        help="a counter terminal's counter, a keypad bridge's counters: comma-separated, e.g. 3")
    device.add_argument("--location", help="where it stands, e.g. 一楼东门: staff pages name a kiosk by it")
    device.add_argument("--new-token", action="store_true", help="replace the token of an existing terminal")
    place = sub.add_parser("set-location", parents=[common],
                           help="say where a registered terminal now stands (its token stays)")
    place.add_argument("device_id", metavar="ID")
    place.add_argument("--location", required=True, help="e.g. 二楼西侧")
    staff = sub.add_parser("add-staff", parents=[common], help="add a staff account (asks for its password)")
    staff.add_argument("job_no", metavar="JOB_NO")
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", required=True, choices=[r.value for r in Role])
    staff.add_argument("--counters", default="", help="comma-separated counter ids, e.g. 1,2,8")
    staff.add_argument("--post", default="", help="the post (岗位) the counter terminal shows, e.g. 综合受理岗")
    staff.add_argument("--department", default="", help="the department the counter terminal shows")
    staff.add_argument("--photo", help="a JPEG or PNG the counter terminal shows (at most 1 MB); kept by the "
                                       "server, never by a terminal")
    staff.add_argument("--replace", action="store_true", help="change an existing account (a photo not "
                                                              "given is kept)")
    child = sub.add_parser("add-hall", parents=[common],
                           help="on a parent: register a hall that reports to it and print its uplink token once")
    child.add_argument("hall_id", metavar="ID", help="the hall's id, as its hall.toml names it")
    child.add_argument("--name", required=True, help="the hall's name, e.g. 南岸镇便民服务中心")
    child.add_argument("--region", required=True, help="its administrative code: the county's 6 digits, a town's 9, "
                                                       "a village's 12")
    child.add_argument("--new-token", action="store_true", help="replace the token of a registered hall")
    region = sub.add_parser("add-region", parents=[common], help="on a parent: name a region of its tree")
    region.add_argument("code", metavar="CODE", help="6 digits (province 510000, city 511500, county 511525), "
                                                     "9 for a town, 12 for a village")
    region.add_argument("--name", required=True)
    watch = sub.add_parser("supervise-region", parents=[common],
                           help="on a parent: let a supervisor see the halls of a region on the central page")
    watch.add_argument("job_no", metavar="JOB_NO")
    watch.add_argument("--region", required=True, help="the region's code, e.g. 511525")
    uplink = sub.add_parser("uplink", parents=[common], help="send this hall's events to its parent, for ever")
    uplink.add_argument("--parent", required=True, help="the parent server's address, e.g. https://county.example.gov.cn")
    uplink.add_argument("--token-file", help="a file holding the token the parent's add-hall printed "
                                             "(default: the HALL_UPLINK_TOKEN environment variable)")
    uplink.add_argument("--ca", help="a CA bundle for a parent whose certificate a private CA signed")
    uplink.add_argument("--batch", type=int, default=500, help="events per request at most (default 500; fewer on a "
                                                               "slow link)")
    uplink.add_argument("--backoff-cap", type=float, default=60.0,
                        help="seconds between tries at most while the parent cannot be reached (default 60)")
    uplink.add_argument("--relay", action="store_true",
                        help="on a parent: send what its halls sent it (each event keeps the hall it came from)")
    uplink.add_argument("--public-url", help="the address phones reach this hall's server at, for the progress link "
                                             "of citizens told of a step the parent took on a case sent up")
    sub.add_parser("migrate", parents=[common], help="bring the database's schema up to this release")
    key = sub.add_parser("person-key", parents=[common],
                         help="make the key behind person hashes, readable by this user alone (docs/privacy.md)")
    key.add_argument("--replace", action="store_true", help="replace an existing key")
    sub.add_parser("booking-key", parents=[common],
                   help="print the key a booking service signs booking codes with (docs/booking-qr.md)")
    code = sub.add_parser("booking-code", parents=[common], help="make one signed booking code, as a booking service does")
    code.add_argument("--service", required=True, help="the service's code in hall.toml, e.g. social_security")
    code.add_argument("--day", required=True, type=_day, help="YYYY-MM-DD")
    code.add_argument("--window", required=True, type=_window, help="HH:MM-HH:MM, e.g. 09:00-09:30")
    code.add_argument("--booking-id", help="1-20 of A-Z 0-9, unique in the hall (default: a random one)")
    return parser.parse_args(argv)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day YYYY-MM-DD") from None


def _window(text: str) -> tuple[time, time]:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text.strip())
    try:
        if not found:
            raise ValueError
        start, end = time(int(found[1]), int(found[2])), time(int(found[3]), int(found[4]))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time window HH:MM-HH:MM") from None
    if end <= start:
        raise argparse.ArgumentTypeError(f"the window {text} ends before it starts")
    return start, end


def settings_from(args: argparse.Namespace) -> ServerSettings:
    given = {name: value for name in ("host", "port", "data_dir", "database", "hall_file", "public_url",
                                      "offline_after", "person_key_file")
             if (value := getattr(args, name, None)) is not None}
    return ServerSettings(**given)


def serve(settings: ServerSettings, workers: int = 1) -> int:
    """With several workers, each process serves requests from the one listening socket
    with a hall of its own, made from the settings passed on in HALL_* variables; they
    share the database's locks (numbers, idempotency keys) and its notifications (live
    events). SQLite admits one writer at a time, which processes would queue for in its busy
    handler: one process is its fastest."""
    import uvicorn

    from hall.api.app import create_app

    if not 1 <= workers <= MAX_WORKERS:
        print(f"--workers {workers}: give 1 to {MAX_WORKERS}", file=sys.stderr)
        return 2
    if workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        print(f"--workers {workers}: several server processes need PostgreSQL (--database "
              "postgresql+psycopg://...); on SQLite run one, which is its fastest", file=sys.stderr)
        return 2
    try:
        listener = listen(settings.host, settings.port)
    except OSError as exc:
        print(cannot_listen(settings, exc), file=sys.stderr)
        return 2
    app = create_app(settings)  # checks the settings, the hall and the database, and migrates it
    log.info("hall %s on %s", app.state.hall.hall_id, shown(settings.database_url))
    options = {"host": settings.host, "port": settings.port, "timeout_graceful_shutdown": 3, "log_config": None,
               "access_log": False}
    if workers == 1:
        uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[listener])
        return 0
    from uvicorn.supervisors import Multiprocess

    app.state.hall.close()
    os.environ.update(settings_environment(settings))
    config = uvicorn.Config("hall.api.app:create_app_from_environment", factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[listener]).run()
    return 0


def settings_environment(settings: ServerSettings) -> dict[str, str]:
    """The settings as the HALL_* variables a worker process reads them from."""
    return {f"HALL_{name.upper()}": str(value) for name, value in settings.model_dump().items() if value is not None}


def person_key(args: argparse.Namespace, settings: ServerSettings) -> int:
    """Made before the first start when the installer wants it in place (several servers
    on one database share one key: make it once and copy it to each)."""
    from hall.person_keys import make_key_file

    path = settings.person_key_path
    make_key_file(path, replace=args.replace)
    print(f"person key {'replaced' if args.replace else 'made'}: {path} (mode 0600). Keep it out of the "
          "database's backups: the database and this key together give back ID numbers.")
    return 0


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound here rather than by uvicorn, which answers a
    taken port or an unknown host with a log line and exit code 3."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def cannot_listen(settings: ServerSettings, exc: OSError) -> str:
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, socket.gaierror):
        return (f"--host {settings.host!r} is no name or address this machine knows ({exc.strerror}); "
                "use one of its addresses, or 0.0.0.0 for all")
    if exc.errno == errno.EADDRINUSE:
        return f"port {settings.port} on {settings.host} is taken by another program; stop it or choose another --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host {settings.host!r} is not an address of this machine; use one of its addresses, or 0.0.0.0 for all"
    if exc.errno == errno.EACCES:
        return f"port {settings.port} is reserved for root; choose a --port from 1024 up, such as 8080"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def shown(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the two passwords differ; nothing was changed")
    return first


def read_photo(path: str) -> bytes:
    from hall import accounts

    try:
        with open(path, "rb") as file:
            return file.read(accounts.PHOTO_BYTES + 1)
    except OSError as exc:
        raise accounts.AccountError(f"--photo {path!r} cannot be read: {exc.strerror or exc}") from None


def send_up(args: argparse.Namespace, settings: ServerSettings) -> int:
    """Runs until stopped (SIGTERM or Ctrl-C), catching up after any outage."""
    import signal

    from hall.spec import load_hall
    from hall.uplink.sender import Uplink, UplinkError

    try:
        token = (open(args.token_file, encoding="utf-8").read() if args.token_file
                 else os.environ.get("HALL_UPLINK_TOKEN", "")).strip()
    except OSError as exc:
        print(f"--token-file {args.token_file!r} cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not token:
        print("no uplink token: give --token-file FILE or HALL_UPLINK_TOKEN, as the parent's python -m hall "
              "add-hall printed it", file=sys.stderr)
        return 2
    if args.ca and not os.path.isfile(args.ca):
        print(f"--ca {args.ca!r} is not a file", file=sys.stderr)
        return 2
    try:
        uplink = Uplink(load_hall(settings.hall_file), settings.database_url, hall_file=settings.hall_file,
                        parent=args.parent, token=token, ca_bundle=args.ca, public_url=settings.public_url,
                        relay=args.relay, batch=max(1, args.batch), backoff_cap=max(1.0, args.backoff_cap))
    except UplinkError as exc:
        print(exc, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: uplink.stop(timeout=0))
    log.info("uplink of %s to %s%s", uplink.hall_id, uplink.parent, " (relaying its halls)" if args.relay else "")
    try:
        uplink.run()
    except KeyboardInterrupt:
        pass
    return 0


def register_child(args: argparse.Namespace, engine, now: datetime) -> int:
    from hall.uplink import receiver

    def write(session) -> str:
        if args.command == "add-region":
            receiver.add_region(session, code=args.code, name=args.name)
            return f"region {args.code} {args.name} saved"
        if args.command == "supervise-region":
            receiver.supervise_region(session, hall_id=engine.spec.hall.id, job_no=args.job_no, region=args.region)
            return f"supervisor {args.job_no} sees the halls of region {args.region}"
        token = receiver.add_hall(session, hall_id=args.hall_id, name=args.name, region=args.region, now=now,
                                  replace=args.new_token)
        return f"hall {args.hall_id} ({args.region}) registered. Its uplink token, shown only now:\n{token}"

    return saved(engine, write, receiver.HallSetupError)


def saved(engine, write: Callable[[Session], str], refused: type[Exception]) -> int:
    """One command's write in one transaction: says what it saved, or why nothing was (exit 1)."""
    try:
        with engine.transaction() as session:
            said = write(session)
    except refused as exc:
        print(exc, file=sys.stderr)
        return 1
    print(said)
    return 0


def administer(args: argparse.Namespace, settings: ServerSettings) -> int:
    from hall import accounts
    from hall.queue import QueueEngine
    from hall.spec import load_hall

    spec = load_hall(settings.hall_file)
    engine = QueueEngine(spec, settings.database_url)
    now = datetime.now(timezone.utc)
    try:
        if args.command == "migrate":
            print(f"{shown(settings.database_url)}: schema up to date")
            return 0
        if args.command in ("booking-key", "booking-code"):
            return booking(args, spec, engine)
        if args.command in ("add-hall", "add-region", "supervise-region"):
            return register_child(args, engine, now)
        return saved(engine, lambda session: account(args, session, spec, now), accounts.AccountError)
    finally:
        engine.close()


def account(args: argparse.Namespace, session, spec, now: datetime) -> str:
    from hall import accounts

    counters = [c.strip() for c in getattr(args, "counters", "").split(",") if c.strip()]
    if args.command == "set-location":
        accounts.set_location(session, hall_id=spec.hall.id, device_id=args.device_id, location=args.location)
        return f"device {args.device_id} stands at {args.location}"
    if args.command == "add-device":
        token = accounts.add_device(session, hall_id=spec.hall.id, device_id=args.device_id,
                                    kind=DeviceKind(args.kind), now=now, replace=args.new_token,
                                    spec=spec, counters=counters, location=args.location)
        return f"device {args.device_id} ({args.kind}) registered. Its token, shown only now:\n{token}"
    photo = read_photo(args.photo) if args.photo else None
    accounts.add_staff(session, hall_id=spec.hall.id, spec=spec, job_no=args.job_no, name=args.name,
                       role=Role(args.role), counters=counters, password=read_password(), now=now,
                       replace=args.replace, post=args.post, department=args.department, photo=photo)
    return f"staff {args.job_no} ({args.role}) saved"


def booking(args: argparse.Namespace, spec, engine) -> int:
    """The booking key goes to the hall's booking service alone (it signs nothing else: see
    hall.signing); a code made here is what that service would make."""
    from hall.booking_codes import BOOKING_PURPOSE, BadBookingCode, make_booking_code

    key = engine.signer.key_for(BOOKING_PURPOSE)
    if args.command == "booking-key":
        print(f"the booking key of hall {spec.hall.id} (HMAC-SHA256, hex); whoever holds it can make booking "
              f"codes for this hall, so hand it to the booking service alone, over a safe channel:\n{key.hex()}")
        return 0
    if spec.service(args.service) is None:
        print(f"no service {args.service!r} in this hall; known: {', '.join(s.code for s in spec.services)}",
              file=sys.stderr)
        return 2
    booking_id = args.booking_id or secrets.token_hex(5).upper()
    try:
        print(make_booking_code(key, hall_id=spec.hall.id, booking_id=booking_id, service=args.service,
                                day=args.day, window_start=args.window[0], window_end=args.window[1]))
    except BadBookingCode as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from(args)
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            option = f"--{OPTIONS.get(name, name).replace('_', '-')} (HALL_{name.upper()})" if name else "settings"
            print(f"{option}: {e['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return serve(settings, args.workers)
        if args.command == "person-key":
            return person_key(args, settings)
        if not settings.database:
            settings.prepare_data_dir()
        if args.command == "uplink":
            return send_up(args, settings)
        return administer(args, settings)
    except (ConfigError, SchemaTooNew, StorageUnusable, PersonKeyError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except DBAPIError as exc:
        cause = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        if disk_full(exc):
            fix = "free space on its disk"
        elif make_url(settings.database_url).get_backend_name() == "sqlite":
            fix = "check --database (HALL_DATABASE) or --data-dir (HALL_DATA_DIR)"
        else:
            fix = "check --database (HALL_DATABASE) and that PostgreSQL runs and is reachable from here"
        print(f"the database {shown(settings.database_url)} cannot be used: {cause}; {fix}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
