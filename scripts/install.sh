#!/usr/bin/env bash
# Install what Antrian needs on Debian 12 (as root): apt packages, then a virtual
# environment in .venv with the project.
#   bash scripts/install.sh          # to run it (scripts/office.sh)
#   bash scripts/install.sh --tests  # also the test tools (scripts/test.sh): browser,
#                                    # shellcheck, sox, poppler, pytest, ruff, mypy
# Safe to run again: it only calls apt when a package is missing, and pip only when
# pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=false
case "${1:-}" in
    --tests) tests=true ;;
    "") ;;
    *) echo "usage: bash scripts/install.sh [--tests]" >&2; exit 2 ;;
esac

APT_PACKAGES=(
    python3 python3-venv python3-dev build-essential  # evdev (USB keypad) builds from source
    mosquitto                                          # the broker
    espeak-ng libespeak-ng1                            # the Indonesian voice (pyttsx3 driver)
    fonts-dejavu-core                                  # a system font for chromium (the browser test)
    libsdl2-2.0-0 libsdl2-ttf-2.0-0 libsdl2-mixer-2.0-0  # SDL (pygame-ce's wheel bundles its own; harmless)
)
TEST_PACKAGES=(
    mosquitto-clients                                  # mosquitto_rr/_sub/_pub
    openssl                                            # test certificates: the regional uplink over TLS
    sox                                                # measuring WAVs
    poppler-utils                                      # pdftoppm, pdftotext: reading report PDFs back
    chromium chromium-driver                           # browser tests of the web front end
    nodejs                                             # npm: axe-core for those browser tests
    shellcheck                                         # scripts/check.sh, tests/system
    stress-ng                                          # not used by tests: run them under `stress-ng --cpu 2` to catch flakes
    strace                                             # tests and bench/hub_card.py: fsync delays injected as on an SD card
    systemd                                            # systemd-analyze: verify and score the units
    postgresql                                         # tests/region: a private server per session (initdb, pg_ctl)
)
if $tests; then
    APT_PACKAGES+=("${TEST_PACKAGES[@]}")
    # Debian's nodejs comes without npm; NodeSource's has it built in (and conflicts with it).
    command -v npm >/dev/null || APT_PACKAGES+=(npm)
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    echo "install: apt packages: ${missing[*]}"
    # As root (a fresh Debian may have no sudo) apt runs as is; as a user, through sudo.
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        as_root=(sudo)
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package starts a system-wide broker on port 1883; the demo and the tests run
# their own on other ports, so it is left alone.

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "install: creating .venv"
    "$PYTHON" -m venv .venv
fi
target=. stamp=.venv/.antrian-installed
if $tests; then
    target=".[dev]" stamp=.venv/.antrian-installed-dev
fi
# pygame-ce replaced pygame (pygame's aarch64 wheel has no kmsdrm). Both own the `pygame`
# package directory, so pip would lay one over the other and a later uninstall of pygame would
# delete pygame-ce's files: an older .venv loses both, and the install below runs again.
if .venv/bin/python -m pip show -q pygame >/dev/null 2>&1; then
    echo "install: replacing pygame with pygame-ce"
    .venv/bin/pip uninstall -q -y pygame pygame-ce
    rm -f .venv/.antrian-installed .venv/.antrian-installed-dev
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "install: pip install -e $target"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e "$target"
    touch "$stamp"
fi

# The docs say `antrian ...`: as root, put the command on the PATH (a symlink, replaced
# when it points into another checkout's .venv); otherwise say where it is.
program="$PWD/.venv/bin/antrian"
if [ "$(id -u)" -eq 0 ] && [ -d /usr/local/bin ]; then
    if [ "$(readlink /usr/local/bin/antrian 2>/dev/null)" != "$program" ]; then
        if [ -e /usr/local/bin/antrian ] && [ ! -L /usr/local/bin/antrian ]; then
            echo "install: /usr/local/bin/antrian exists and is not ours; run $program"
        else
            ln -sfn "$program" /usr/local/bin/antrian
            echo "install: the antrian command is /usr/local/bin/antrian -> $program"
        fi
    fi
elif ! command -v antrian >/dev/null 2>&1; then
    echo "install: run the antrian command as $program"
fi

# axe-core, the accessibility checker the browser tests run in Chromium (test-only; the
# tests fail without it), from the npm registry into .venv/axe.
AXE_VERSION=4.14.1
axe=.venv/axe/node_modules/axe-core
if $tests && ! grep -qs "\"version\": \"$AXE_VERSION\"" "$axe/package.json"; then
    echo "install: npm install axe-core@$AXE_VERSION (into .venv/axe)"
    npm install --prefix .venv/axe --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
fi
