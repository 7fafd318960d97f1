"""QR codes read from camera-like frames by both decoders, Chinese payloads exact."""
from __future__ import annotations

import logging

import pytest
from PIL import Image

from devices.qr_decode import DECODERS, qr_decoder
from tests.devices.qr_frames import DISTORTIONS, PAYLOADS, in_frame, qr_image


@pytest.fixture(scope="module", params=sorted(DECODERS))
def decoder(request):
    return qr_decoder(request.param)


@pytest.mark.parametrize("distortion", sorted(DISTORTIONS))
def test_every_payload_exact_through_each_distortion(decoder, distortion):
    make = DISTORTIONS[distortion]
    read = [decoder.decode(make(payload, (640, 480), seed)) for seed, payload in enumerate(PAYLOADS)]
    assert read == [[payload] for payload in PAYLOADS]


def test_a_hd_frame(decoder):
    payload = "𠮷祥 刘䶮 请到3号窗口办理"
    assert decoder.decode(DISTORTIONS["combined"](payload, (1280, 720), 3)) == [payload]


def test_an_empty_frame_holds_no_code(decoder):
    assert decoder.decode(Image.new("L", (640, 480), 170)) == []


def test_a_colour_frame_and_two_codes_in_it(decoder):
    frame = Image.new("RGB", (1280, 720), (200, 190, 170))
    frame.paste(qr_image("取号成功").convert("RGB").resize((300, 300)), (80, 200))
    frame.paste(qr_image("A001 窗口").convert("RGB").resize((300, 300)), (800, 200))
    assert sorted(decoder.decode(frame)) == sorted(["取号成功", "A001 窗口"])


def test_gb18030_payloads_exact_too(decoder):
    frame = in_frame(qr_image("社保医保，请到3号窗口".encode("gb18030")), (640, 480))
    assert decoder.decode(frame) == ["社保医保，请到3号窗口"]


def test_bytes_that_are_no_text_are_left_out(decoder, caplog):
    frame = in_frame(qr_image(b"\xff\xfe\x80\x81\xfe\xff"), (640, 480))
    caplog.set_level(logging.WARNING)
    assert decoder.decode(frame) == []
    assert "neither UTF-8 nor GB18030" in caplog.text


def test_an_unknown_decoder_is_named():
    with pytest.raises(ValueError, match="unknown QR decoder 'opencv'; use one of: zbar, zxing"):
        qr_decoder("opencv")
