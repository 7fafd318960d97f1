#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for the kiosk: system packages, a virtual environment in
# .venv and the project installed into it. Safe to run again: it skips what is already there.
#   scripts/setup.sh          what the kiosk needs to run
#   scripts/setup.sh --server what the kiosk and the hall server need
#   scripts/setup.sh --test   both, plus the test tools and PostgreSQL (the tests start their own server)
set -euo pipefail
cd "$(dirname "$0")/.."

# xvfb/xauth: a virtual screen for tests and headless boxes; libgl1-mesa-dri, libgl1: OpenGL for
# Kivy; libmtdev1: touch screens; libzbar0: QR decoding; libusb-1.0-0: USB printers; fonts-wqy-microhei: Simplified Chinese
# glyphs (face 0 of its .ttc is Chinese); tzdata: the hall's time zone; espeak-ng, sox: voice
# guidance on the kiosk and the spoken calls of the hall display (speech offline; sox plays it).
APT_PACKAGES=(python3-venv xvfb xauth libgl1 libgl1-mesa-dri libmtdev1 libzbar0 libusb-1.0-0 fonts-wqy-microhei tzdata
              espeak-ng sox)
# postgresql: the tests run the engine and the API on a throwaway PostgreSQL server too;
# openssl: they make self-signed certificates to check that a kiosk verifies its server;
# chromium: they drive the server's pages in Debian's Chromium (through Playwright's Python
# package, never a browser it downloads); systemd: its systemd-analyze scores the shipped units.
[ "${1:-}" = "--test" ] && APT_PACKAGES+=(postgresql openssl chromium systemd)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "--server" ] && extra="[server]"
[ "${1:-}" = "--test" ] && extra="[server,test]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"
# Bytecode for the project itself, as pip writes it for the packages it installs: a kiosk user
# that cannot write to the install folder (or PYTHONDONTWRITEBYTECODE) would otherwise compile
# every module again at every start, about 0.05 s of the cold start.
.venv/bin/python -m compileall -q main.py kiosk hall devices screens
