"""A camera that reads QR codes: frames from a USB camera, a network camera or recorded
frames, decoded by devices.qr_decode, each code told once while it stays in view.

The frames come through FFmpeg (the PyAV package, whose wheel carries FFmpeg's libraries),
which opens every source a kiosk may have by one call; the source is chosen by URL::

    v4l2:///dev/video0[?size=1280x720&fps=10]   a USB camera (Video4Linux2)
    rtsp://192.0.2.9/stream, http://HOST/mjpg   a network camera, as FFmpeg opens it
    file:///var/lib/hall-kiosk/frames/%03d.png  recorded frames or a video file (a demo, tests)

The camera is optional: a kiosk without one sets no URL, and PyAV is loaded only when one is
set. A camera reads on its own thread and calls back with each code's text, or with a
CameraUnavailable when the source cannot be opened or stops (a live source is opened again
after a pause; a recorded one ends).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

from PIL import Image

from devices.errors import BadDeviceUrl, CameraUnavailable
from devices.qr_decode import qr_decoder

logger = logging.getLogger(__name__)

EXPECTED_FORMS = "v4l2:///dev/video0[?size=WxH&fps=N], rtsp://HOST/PATH, http(s)://HOST/PATH, file:///PATH"
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
DECODE_EVERY = 0.2   # seconds: a frame decoded this often is enough for a code held up to the lens
GONE_AFTER = 2.0     # seconds out of view before the same code counts as scanned again
REOPEN_AFTER = 5.0   # seconds between attempts to open a live camera that failed


def frame_source(url: str) -> tuple[str, dict, bool]:
    """What to hand FFmpeg for a camera URL: (file or address, options, live). Raises BadDeviceUrl."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.scheme == "v4l2":
        if not parts.path.startswith("/dev/"):
            raise BadDeviceUrl(f"camera {url!r}: name the device, such as v4l2:///dev/video0")
        ffmpeg = {"format": "v4l2"}
        for option, value in options.items():
            if option == "size" and len(value.split("x")) == 2 and all(v.isdigit() for v in value.split("x")):
                ffmpeg["video_size"] = value
            elif option == "fps" and value.isdigit() and 0 < int(value) <= 60:
                ffmpeg["framerate"] = value
            else:
                raise BadDeviceUrl(f"camera {url!r}: bad option {option}={value!r}; expected {EXPECTED_FORMS}")
        return parts.path, ffmpeg, True
    if options:
        raise BadDeviceUrl(f"camera {url!r}: options are for v4l2:// cameras only; expected {EXPECTED_FORMS}")
    if parts.scheme in STREAM_SCHEMES and parts.netloc:
        return url, {}, True
    if parts.scheme == "file" and parts.path:
        return parts.path, {}, False  # as written: an image sequence names its frames with %03d
    raise BadDeviceUrl(f"camera {url!r}: expected one of {EXPECTED_FORMS}")


def read_frames(url: str) -> Iterator[Image.Image]:
    """The frames of the source, as PIL images; CameraUnavailable if it cannot be opened or read."""
    target, options, _live = frame_source(url)
    try:
        import av
    except ImportError as e:
        raise CameraUnavailable(f"camera {url}: the camera needs the av package (pip install av): {e}",
                                url=url) from e
    fmt = options.pop("format", None)
    try:
        container = av.open(target, format=fmt, options=options, timeout=5.0)
    except (av.FFmpegError, OSError) as e:
        raise CameraUnavailable(f"cannot open the camera {url}: {e}", url=url) from e
    try:
        for frame in container.decode(video=0):
            yield frame.to_image()
    except (av.FFmpegError, OSError) as e:
        raise CameraUnavailable(f"camera {url} stopped: {e}", url=url) from e
    finally:
        container.close()


class CodesInView:
    """Tells each code once while it stays in view: a code held to the lens is in every frame."""

    def __init__(self, gone_after: float = GONE_AFTER):
        self.gone_after = gone_after
        self._seen: dict[str, float] = {}

    def new(self, codes: list[str], at: float) -> list[str]:
        fresh = [c for c in codes if at - self._seen.get(c, float("-inf")) > self.gone_after]
        for code in codes:
            self._seen[code] = at
        self._seen = {c: t for c, t in self._seen.items() if at - t <= self.gone_after}
        return fresh


class CameraScanner:
    """One running camera: a thread reads frames, decodes one every `decode_every` seconds of
    the source's time and calls back; ``close()`` stops it."""

    def __init__(self, url: str, *, on_code: Callable[[str], None],
                 on_problem: Callable[[CameraUnavailable], None], decoder: str = "zxing",
                 decode_every: float = DECODE_EVERY, reopen_after: float = REOPEN_AFTER):
        _target, _options, self.live = frame_source(url)
        self.url = url
        self.decoder = qr_decoder(decoder)
        self.on_code = on_code
        self.on_problem = on_problem
        self.decode_every = decode_every
        self.reopen_after = reopen_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera {url}", daemon=True)

    def start(self) -> CameraScanner:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def join(self, timeout: float | None = None) -> None:
        """Waits for a recorded source to end."""
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read()
                if not self.live:
                    return
            except CameraUnavailable as e:
                logger.error("%s", e)
                self._call(self.on_problem, e)
                if not self.live:
                    return
            self._stop.wait(self.reopen_after)

    def _read(self) -> None:
        in_view = CodesInView()
        last = float("-inf")
        for n, frame in enumerate(read_frames(self.url)):
            if self._stop.is_set():
                return
            # A recorded source is read as fast as it decodes: its frames' own pace stands in for
            # the clock, at the rate a camera delivers them (10 a second).
            at = time.monotonic() if self.live else n / 10
            if at - last < self.decode_every:
                continue
            last = at
            for code in in_view.new(self.decoder.decode(frame), at):
                self._call(self.on_code, code)

    def _call(self, callback: Callable, argument: object) -> None:
        try:
            callback(argument)
        except Exception:
            logger.exception("camera %s: the code handler failed", self.url)


def open_camera(url: str, *, on_code: Callable[[str], None], on_problem: Callable[[CameraUnavailable], None],
                decoder: str = "zxing") -> CameraScanner:
    """Start reading codes from the camera a URL names; BadDeviceUrl for a URL we cannot read."""
    scanner = CameraScanner(url, on_code=on_code, on_problem=on_problem, decoder=decoder).start()
    logger.info("camera %s reading QR codes with %s", url, decoder)
    return scanner
