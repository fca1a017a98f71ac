#!/usr/bin/env bash
# Formatting, lint and types: the one command for checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
