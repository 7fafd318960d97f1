"""The toolkit's floor, for the benchmarks to compare the kiosk with in the same run: an
empty Kivy app with one label in the kiosk's window size. It prints the wall-clock time of
its first frame and the CPU time spent to it, or, with `memory`, its RSS, USS and PSS in bytes once it has drawn for a
second, then stops.

    python bench/empty_app.py first-frame|memory KIVY_HOME
"""
import os
import sys
import time

mode, kivy_home = sys.argv[1], sys.argv[2]
os.environ.update(KIVY_NO_ARGS="1", KIVY_LOG_MODE="PYTHON", KIVY_NO_FILELOG="1", KIVY_HOME=kivy_home)

from kivy.config import Config  # noqa: E402  (after the environment Kivy reads on import)

Config.set("graphics", "width", "720")
Config.set("graphics", "height", "1280")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class Empty(App):
    def build(self):
        return Label(text="hall-kiosk")


def first_frame(*_):
    Window.unbind(on_flip=first_frame)
    print("FIRST_FRAME", time.time(), time.process_time(), flush=True)
    App.get_running_app().stop()


def memory(_dt):
    import psutil
    m = psutil.Process().memory_full_info()
    print("MEMORY", m.rss, m.uss, m.pss, flush=True)
    App.get_running_app().stop()


if mode == "memory":
    Clock.schedule_once(memory, 1.0)
else:
    Window.bind(on_flip=first_frame)
Empty().run()
