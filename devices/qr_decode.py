"""QR codes in camera frames, with either of two decoders: zbar (through pyzbar) or zxing-cpp.

Both are kept, chosen by name (``qr_decoder("zxing")``), because each has its place: zbar is
the library Debian ships (libzbar0) and long in the field; zxing-cpp is a wheel, decodes more
of the hard frames and is faster (bench/qr_decode.py measures both on the same frames).

The trap, seen on Debian 12's zbar 0.23.92: zbar, left to itself, guesses the text encoding of a QR code's
bytes and takes many Chinese UTF-8 payloads for Shift-JIS, so "取号成功" comes back garbled.
pyzbar does not expose zbar's switch against that, ZBAR_CFG_BINARY ("don't convert binary data
to text", zbar.h, zbar 0.23 and later), so :class:`ZbarDecoder` drives libzbar through pyzbar's
ctypes bindings itself, with that switch on, and decodes the raw bytes as UTF-8 (or GB18030,
the other encoding Chinese QR codes are made in). zxing-cpp decodes UTF-8 right on its own
but guesses wrong for GB18030, so it gets the same rule unless the code names its encoding.

Frames are PIL images in any mode (a camera's RGB(A) frame converts to 8-bit grey here).
"""

from __future__ import annotations

import logging
from ctypes import c_void_p, cast, string_at
from typing import Protocol

from PIL import Image, ImageFilter

from devices.errors import DeviceError
from devices.payload_text import payload_text

logger = logging.getLogger(__name__)

# zbar.h, enum zbar_config_e: ZBAR_CFG_ENABLE = 0, ..., ZBAR_CFG_BINARY = 4 (since 0.23.1).
ZBAR_CFG_ENABLE = 0
ZBAR_CFG_BINARY = 4
ZBAR_NONE = 0  # "all symbologies", for a setting applied to every one
ZBAR_QRCODE = 64  # zbar.h, enum zbar_symbol_type_e
ZBAR_Y800 = int.from_bytes(b"Y800", "little")  # zbar_fourcc('Y','8','0','0'): 8-bit grey
QR_WITH_ECI = "]Q2"  # ISO/IEC 18004 symbology identifier: a QR code that carries an ECI


class QrDecoderUnavailable(DeviceError):
    """The chosen decoder's library is missing (libzbar0 for zbar, the zxing-cpp wheel)."""


class QrDecoder(Protocol):
    name: str

    def decode(self, frame: Image.Image) -> list[str]:
        """The text of every QR code found in the frame, in the order the library reports them."""


def _not_text(decoder: str, raw: bytes) -> None:
    logger.warning("%s: left out a QR code of %d bytes that are neither UTF-8 nor GB18030", decoder, len(raw))


class ZbarDecoder:
    """libzbar with binary mode on QR codes; one image scanner per decoder (one per thread)."""

    name = "zbar"

    def __init__(self) -> None:
        try:
            from pyzbar import wrapper as zbar
        except ImportError as e:  # pyzbar raises ImportError when libzbar is not installed
            raise QrDecoderUnavailable(f"the zbar QR decoder needs libzbar0 (apt-get install libzbar0): {e}") from e
        self._zbar = zbar
        self._scanner = zbar.zbar_image_scanner_create()
        if not self._scanner:
            raise QrDecoderUnavailable("libzbar could not create an image scanner")
        set_config = zbar.zbar_image_scanner_set_config
        set_config(self._scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        set_config(self._scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        if set_config(self._scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1) != 0:
            raise QrDecoderUnavailable(
                "this libzbar has no binary mode (zbar 0.23 or later needed): it would garble Chinese payloads")

    def decode(self, frame: Image.Image) -> list[str]:
        """The frame as it is, then, if nothing was found, smoothed: zbar reads along scan
        lines, and a camera's pixel noise breaks them where a 3x3 mean mends them."""
        grey = frame if frame.mode == "L" else frame.convert("L")
        return self._scan(grey) or self._scan(grey.filter(ImageFilter.BoxBlur(1)))

    def _scan(self, grey: Image.Image) -> list[str]:
        zbar = self._zbar
        pixels = grey.tobytes()
        width, height = grey.size
        image = zbar.zbar_image_create()
        try:
            zbar.zbar_image_set_format(image, ZBAR_Y800)
            zbar.zbar_image_set_size(image, width, height)
            zbar.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
            if zbar.zbar_scan_image(self._scanner, image) <= 0:
                return []
            found = []
            symbol = zbar.zbar_image_first_symbol(image)
            while symbol:
                raw = string_at(zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol))
                text = payload_text(raw)
                if text is None:
                    _not_text(self.name, raw)
                else:
                    found.append(text)
                symbol = zbar.zbar_symbol_next(symbol)
            return found
        finally:
            zbar.zbar_image_destroy(image)

    def __del__(self) -> None:
        scanner = getattr(self, "_scanner", None)
        if scanner:
            self._zbar.zbar_image_scanner_destroy(scanner)


class ZxingDecoder:
    """zxing-cpp, QR codes only."""

    name = "zxing"

    def __init__(self) -> None:
        try:
            import zxingcpp
        except ImportError as e:
            raise QrDecoderUnavailable(f"the zxing QR decoder needs the zxing-cpp package: {e}") from e
        self._read = zxingcpp.read_barcodes
        self._formats = zxingcpp.BarcodeFormat.QRCode

    def decode(self, frame: Image.Image) -> list[str]:
        grey = frame if frame.mode == "L" else frame.convert("L")
        found = []
        for barcode in self._read(grey, formats=self._formats):
            if not barcode.valid:
                continue
            # With an ECI the code names its encoding and zxing follows it; without one zxing
            # guesses, and takes GB18030 for Shift-JIS: the same bytes rule as zbar's then.
            if barcode.symbology_identifier == QR_WITH_ECI:
                found.append(barcode.text)
            elif (text := payload_text(barcode.bytes)) is not None:
                found.append(text)
            else:
                _not_text(self.name, barcode.bytes)
        return found


DECODERS: dict[str, type[ZbarDecoder] | type[ZxingDecoder]] = {"zbar": ZbarDecoder, "zxing": ZxingDecoder}


def qr_decoder(name: str) -> QrDecoder:
    """A decoder by name: ``zbar`` or ``zxing``."""
    try:
        kind = DECODERS[name]
    except KeyError:
        raise ValueError(f"unknown QR decoder {name!r}; use one of: {', '.join(DECODERS)}") from None
    return kind()
