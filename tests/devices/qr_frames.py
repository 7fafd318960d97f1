"""Camera-like frames holding a QR code, for the decoder tests and bench/qr_decode.py.

A code printed on a ticket or shown on a phone reaches the kiosk's camera smaller than the
frame, tilted, out of focus, in poor light and with sensor noise; each of those is one
distortion here, made with qrcode and Pillow, and seeded so every run sees the same frames.
"""
from __future__ import annotations

import random
from collections.abc import Callable

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from qrcode.constants import ERROR_CORRECT_M

PAYLOADS = [
    "取号成功",
    "A001 窗口",
    "社保 医保 户籍",
    "𠮷祥 刘䶮 请到3号窗口办理",
    "HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930.AAAQEAYEAUDAOCAJBIFQYDIOB4",
    "https://zwfw.cgx.gov.cn/hall/t/eyJoIjoiY2dxIiwibiI6IkEwMDEifQ.c2lnbmF0dXJlLWJ5dGVz",
]


def qr_image(payload: str | bytes, module: int = 4) -> Image.Image:
    """A QR code of the payload's bytes (text as UTF-8), as the hall's printer and pages make it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=module, border=4)
    code.add_data(payload.encode("utf-8") if isinstance(payload, str) else payload)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def in_frame(code: Image.Image, size: tuple[int, int], *, share: float = 0.45, angle: float = 0,
             seed: int = 0) -> Image.Image:
    """The code scaled to ``share`` of the frame's height, turned by ``angle`` degrees on its
    white paper, at a seeded place on a cluttered desk, never cut by the frame's edge."""
    width, height = size
    side = int(height * share)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    if angle:
        code = code.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    rng = random.Random(seed)
    frame = desk(size, rng)
    frame.paste(code, (rng.randint(0, width - code.width), rng.randint(0, height - code.height)))
    return frame


def desk(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """What lies around the code: a mottled grey surface and dark strokes (print, edges of
    things), which a decoder must look through as it would in a real camera frame."""
    width, height = size
    frame = Image.new("L", size, 170)
    draw = ImageDraw.Draw(frame)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        if rng.random() < 0.5:  # a line of print
            draw.rectangle((x, y, x + rng.randint(20, 160), y + rng.randint(2, 6)), fill=rng.randint(20, 90))
        else:  # a blotch of light or shade
            r = rng.randint(10, 60)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(140, 210))
    return frame


def noisy(frame: Image.Image, sigma: float = 40, seed: int = 0) -> Image.Image:
    random.seed(seed)  # effect_noise draws from the C library; reseeding keeps runs alike in practice
    noise = Image.effect_noise(frame.size, sigma)
    return ImageChops.add(ImageChops.subtract(frame, Image.new("L", frame.size, 64)), noise, scale=1.0, offset=-64)


def blurred(frame: Image.Image, radius: float = 1.5) -> Image.Image:
    return frame.filter(ImageFilter.GaussianBlur(radius))


def low_contrast(frame: Image.Image, low: int = 95, high: int = 150) -> Image.Image:
    """Dark modules at ``low``, light ones at ``high``: a dim hall, a glossy phone screen."""
    return frame.point(lambda v: low + (high - low) * v // 255)


# Each distortion at two strengths: one a kiosk's camera should always read through, and a
# harsh one for the benchmark's share of frames each decoder reads.
FrameMaker = Callable[[str, tuple[int, int], int], Image.Image]


def distorted(angle: float = 0, sigma: float = 0, radius: float = 0, contrast: tuple[int, int] | None = None,
              share: float = 0.45) -> FrameMaker:
    def make(payload: str, size: tuple[int, int], seed: int) -> Image.Image:
        frame = in_frame(qr_image(payload), size, share=share, angle=angle, seed=seed)
        if contrast:
            frame = low_contrast(frame, *contrast)
        if radius:
            frame = blurred(frame, radius)
        if sigma:
            frame = noisy(frame, sigma, seed)
        return frame
    return make


DISTORTIONS: dict[str, FrameMaker] = {
    "clean": distorted(),
    "noise": distorted(sigma=12),
    "rotation": distorted(angle=30),
    "blur": distorted(radius=1.5),
    "low_contrast": distorted(contrast=(95, 150)),
    "small": distorted(share=0.25),
    "combined": distorted(angle=12, sigma=8, radius=1.0, contrast=(80, 170)),
}
HARSH_DISTORTIONS: dict[str, FrameMaker] = {
    "noise": distorted(sigma=40),
    "rotation": distorted(angle=45, share=0.3),
    "blur": distorted(radius=3.0),
    "low_contrast": distorted(contrast=(120, 145)),
    "small": distorted(share=0.15),
    "combined": distorted(angle=20, sigma=25, radius=2.0, contrast=(90, 160)),
}
