#!/usr/bin/env bash
# Install everything Antrian needs on Debian 12 (as root): apt packages, then a virtual
# environment in .venv with the project and its test tools. Safe to run again: it only
# calls apt when a package is missing, and pip only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    python3 python3-venv python3-dev build-essential  # evdev builds from source
    mosquitto mosquitto-clients                        # the broker, and mosquitto_rr/_sub/_pub
    espeak-ng libespeak-ng1                            # the Indonesian voice (pyttsx3 driver)
    sox                                                # measuring WAVs in tests
    poppler-utils                                      # pdftoppm: checking report PDFs
    fonts-dejavu-core                                  # the report PDF's font (DejaVu Sans)
    libsdl2-2.0-0 libsdl2-ttf-2.0-0 libsdl2-mixer-2.0-0  # pygame's SDL (wheels bundle their own; harmless)
    chromium chromium-driver                           # browser tests of the web front end
    shellcheck                                         # scripts/check.sh, tests/system
    stress-ng                                          # not used by tests: run them under `stress-ng --cpu 2` to catch flakes
    strace                                             # tests and bench/hub_card.py: fsync delays injected as on an SD card
    systemd                                            # systemd-analyze: verify and score the units
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    echo "install: apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package starts a system-wide broker on port 1883; the demo and the tests run
# their own on other ports, so it is left alone.

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "install: creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.antrian-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "install: pip install -e .[dev]"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[dev]"
    touch "$stamp"
fi
