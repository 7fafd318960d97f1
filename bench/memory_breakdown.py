"""Where the kiosk's resident memory goes beyond an empty Kivy app's: both started as new
processes (the kiosk through main.py's launcher, as bench/cold_start.py does), each reads
/proc/self/smaps three seconds after its first frame and sums the resident bytes by mapping
(a shared library or font file, the heap, anonymous memory); this prints both, the groups
that differ most, the Python modules only the kiosk has loaded, and what each part of the
kiosk's own code adds as it is loaded in turn. Needs a display:
    xvfb-run -a -s "-screen 0 1280x1280x24" .venv/bin/python bench/memory_breakdown.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Run in each child, three seconds after its first frame: resident bytes by mapping, and the
# modules loaded.
REPORT = '''
def report(*_):
    import json, sys
    groups, current = dict(), "?"
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if parts and "-" in parts[0] and not parts[0].endswith(":"):
                path = parts[5] if len(parts) > 5 else "[anonymous]"
                current = path.rsplit("/", 1)[-1] if path.startswith("/") else path
            elif parts[:1] == ["Rss:"]:
                groups[current] = groups.get(current, 0) + int(parts[1]) * 1024
    print("BREAKDOWN", json.dumps(dict(groups=groups, modules=sorted(sys.modules))), flush=True)
    App.get_running_app().stop()
'''

KIOSK = """
import sys, time
sys.path.insert(0, {root!r})
import main
from kivy.app import App
from kivy.clock import Clock
""" + REPORT + """
settings = main.load_settings({config!r})
main.setup_environment(settings)
settings.check_database()
sys.exit(main.run_ticket_kiosk(settings, on_first_frame=lambda app: Clock.schedule_once(report, 3.0)))
"""

EMPTY = """
import os, sys
os.environ.update(KIVY_NO_ARGS="1", KIVY_LOG_MODE="PYTHON", KIVY_NO_FILELOG="1", KIVY_HOME={home!r})
from kivy.config import Config
Config.set("graphics", "width", "720")
Config.set("graphics", "height", "1280")
from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.label import Label
""" + REPORT + """
class Empty(App):
    def build(self):
        return Label(text="hall-kiosk")
def first(*_):
    Window.unbind(on_flip=first)
    Clock.schedule_once(report, 3.0)
Window.bind(on_flip=first)
Empty().run()
"""


# Run in a child without a window: the resident memory each part of the kiosk's own code adds
# as it is imported and used, in the order the kiosk loads it.
IMPORTS = """
import sys
sys.path.insert(0, {root!r})
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
steps, before = [], rss()
def step(name):
    global before
    now = rss()
    steps.append((name, now - before))
    before = now
import main
step("configuration: pydantic and the 14 models of kiosk.toml and hall.toml (import main)")
settings = main.load_settings({config!r})
main.setup_environment(settings)
step("the files read and checked")
from kiosk.terminal import open_hall, open_printer
import kiosk.flow
step("the kiosk's flow and its modules")
hall = open_hall(settings)
hall.services_status()
step("the embedded hall: SQLAlchemy, its engine and the database opened")
printer = open_printer(settings)
printer.check()
step("the printer driver: python-escpos and its capabilities")
import kiosk.qr
kiosk.qr.qr_png("https://hall.example.gov.cn/q/A001")
step("the first QR code: qrcode and Pillow")
import json
print("IMPORTS", json.dumps(steps), flush=True)
"""


def breakdown(script: Path) -> dict:
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BREAKDOWN")), None)
    if line is None:
        raise SystemExit(f"{script.name} did not report:\n{out.stderr[-2000:]}")
    return json.loads(line.split(" ", 1)[1])


def mb(n: int) -> str:
    return f"{n / 2**20:6.1f} MB"


def main(top: int = int(sys.argv[1]) if len(sys.argv) > 1 else 15) -> None:
    from tests.conftest import write_kiosk_config

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kiosk, empty = folder / "kiosk_memory.py", folder / "empty_memory.py"
        kiosk.write_text(KIOSK.format(root=str(ROOT), config=str(write_kiosk_config(folder))))
        empty.write_text(EMPTY.format(home=str(folder / "kivy-empty")))
        breakdown(kiosk)  # the first start makes the database and caches
        mine, floor = breakdown(kiosk), breakdown(empty)
        parts = folder / "kiosk_parts.py"
        parts.write_text(IMPORTS.format(root=str(ROOT), config=str(write_kiosk_config(folder))))
        out = subprocess.run([sys.executable, str(parts)], capture_output=True, text=True, timeout=120)
        line = next((l for l in out.stdout.splitlines() if l.startswith("IMPORTS")), None)
        if line is None:
            raise SystemExit(f"the parts did not report:\n{out.stderr[-2000:]}")
        steps = json.loads(line.split(" ", 1)[1])
    ours, theirs = mine["groups"], floor["groups"]
    print("resident memory three seconds after the first frame (RSS, from /proc/self/smaps)")
    print(f"  kiosk {mb(sum(ours.values()))}, empty Kivy app {mb(sum(theirs.values()))}, "
          f"difference {mb(sum(ours.values()) - sum(theirs.values()))}")
    print("  mappings that differ most (kiosk - empty app):")
    deltas = sorted(set(ours) | set(theirs), key=lambda g: abs(ours.get(g, 0) - theirs.get(g, 0)), reverse=True)
    for group in deltas[:top]:
        print(f"    {mb(ours.get(group, 0) - theirs.get(group, 0))}  {group} "
              f"(kiosk {mb(ours.get(group, 0)).strip()}, empty {mb(theirs.get(group, 0)).strip()})")
    extra = sorted(set(mine["modules"]) - set(floor["modules"]))
    packages = sorted({m.split(".")[0] for m in extra})
    print(f"  Python modules only the kiosk loaded: {len(extra)}, of the packages {', '.join(packages)}")
    print("  resident memory each part of the kiosk's own code adds, loaded in turn without a window:")
    for name, added in steps:
        print(f"    {mb(added)}  {name}")


if __name__ == "__main__":
    main()
