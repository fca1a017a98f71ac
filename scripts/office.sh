#!/usr/bin/env bash
# Install what is needed, then run the whole office on this machine (simulated hardware).
# Arguments go to scripts/office.py (e.g. --no-wait to stop after the scripted morning).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python scripts/office.py "$@"
