"""The camera scanner on recorded frames made here (a code held to the lens, taken away, shown
again; Chinese text; bytes that are no text), through FFmpeg as a live camera's frames come."""
from __future__ import annotations

import random

import pytest

from devices.camera import CameraScanner, CodesInView, frame_source
from devices.errors import BadDeviceUrl, CameraUnavailable
from tests.devices.qr_frames import desk, in_frame, noisy, qr_image

SIZE = (640, 480)
BOOKING = "HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930.AAAQEAYEAUDAOCAJBIFQYDIOB4"


def record(folder, scenes: list[tuple[str | bytes | None, int]]) -> str:
    """Frames at 10 a second: each scene a code (or nothing) held for that many frames."""
    rng = random.Random(5)
    n = 0
    for payload, frames in scenes:
        for i in range(frames):
            frame = desk(SIZE, rng) if payload is None else noisy(in_frame(qr_image(payload), SIZE, seed=n), 12, n)
            frame.convert("RGB").save(folder / f"frame-{n:03d}.png")
            n += 1
    return f"file://{folder}/frame-%03d.png"


@pytest.mark.parametrize("decoder", ["zxing", "zbar"])
def test_each_code_is_told_once_while_in_view_and_again_when_shown_again(tmp_path, decoder):
    url = record(tmp_path, [(None, 3), ("取号成功 A001", 8), (None, 2), ("取号成功 A001", 3), (None, 25),
                            (BOOKING, 4), (b"\xff\xfe\x00garbage", 4), ("取号成功 A001", 3)])
    codes, problems = [], []
    camera = CameraScanner(url, on_code=codes.append, on_problem=problems.append, decoder=decoder).start()
    camera.join(60)
    # A0 held 0.8 s, away 0.2 s (one glance off the lens): once; away 2.5 s: again.
    assert codes == ["取号成功 A001", BOOKING, "取号成功 A001"] and problems == []


def test_a_camera_that_cannot_be_opened_says_so(tmp_path):
    problems = []
    camera = CameraScanner(f"file://{tmp_path}/none-%03d.png", on_code=print, on_problem=problems.append).start()
    camera.join(30)
    assert len(problems) == 1 and isinstance(problems[0], CameraUnavailable)
    assert "cannot open the camera" in str(problems[0])


@pytest.mark.parametrize("url", ["v4l2://video0", "v4l2:///dev/video0?size=big", "v4l2:///dev/video0?zoom=2",
                                 "ftp://camera/x", "file:///x.mkv?loop=1", "/dev/video0"])
def test_a_bad_camera_url_is_refused_with_the_forms(url):
    with pytest.raises(BadDeviceUrl):
        frame_source(url)


def test_camera_urls():
    assert frame_source("v4l2:///dev/video0?size=1280x720&fps=10") == (
        "/dev/video0", {"format": "v4l2", "video_size": "1280x720", "framerate": "10"}, True)
    assert frame_source("rtsp://192.0.2.9/stream")[2] is True
    assert frame_source("file:///srv/frames/%03d.png") == ("/srv/frames/%03d.png", {}, False)


def test_codes_in_view():
    view = CodesInView(gone_after=2.0)
    assert view.new(["a"], 0.0) == ["a"]
    assert view.new(["a", "b"], 1.0) == ["b"]
    assert view.new([], 2.5) == [] and view.new(["a"], 3.5) == ["a"]  # a: away 2.5 s
