"""A display of its own for a terminal run as its own process, and a finger on it: an Xvfb
server the size of the terminal's window, and taps given as the X server's own pointer
events (the XTEST extension, through libXtst), so that the program under test sees a touch
exactly as from a touchscreen driving the pointer."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess

BUTTON_1 = 1


class XDisplay:
    def __init__(self, width: int, height: int):
        read, write = os.pipe()
        self.process = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
                                         "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as told:
            number = told.readline().strip()
        if not number:
            self.process.kill()
            raise RuntimeError("Xvfb did not start")
        self.name = f":{number}"
        self._x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self._xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XFlush.argtypes = [ctypes.c_void_p]
        self._x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                    ctypes.c_ulong]
        self._xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self._display = self._x11.XOpenDisplay(self.name.encode())
        if not self._display:
            self.close()
            raise RuntimeError(f"cannot open the X display {self.name}")

    def tap(self, x: int, y: int) -> None:
        """A press and release at (x, y), in the screen's pixels from its top left corner."""
        self._xtst.XTestFakeMotionEvent(self._display, -1, int(x), int(y), 0)
        self._xtst.XTestFakeButtonEvent(self._display, BUTTON_1, 1, 0)
        self._xtst.XTestFakeButtonEvent(self._display, BUTTON_1, 0, 50)
        self._x11.XSync(self._display, 0)

    def close(self) -> None:
        if getattr(self, "_display", None):
            self._x11.XCloseDisplay(self._display)
            self._display = None
        self.process.kill()
        self.process.wait(timeout=30)
