#!/usr/bin/env bash
# Formatting, lint and types: the one command for checks.
#   bash scripts/check.sh                 everything
#   bash scripts/check.sh --shell-files   only list the shell scripts shellcheck covers
set -euo pipefail
cd "$(dirname "$0")/.."

# Every shell script in the repository, committed or new (not ignored): files named *.sh
# and files whose first line is a shell shebang (.ci/run, pi-gen stage scripts, ...).
# tests/system uses this same list, so a new script is checked without being named.
shell_files() {
    local file first
    while IFS= read -r -d '' file; do
        [ -f "$file" ] || continue  # deleted in the working tree
        if [[ $file == *.sh ]]; then
            printf '%s\n' "$file"
            continue
        fi
        IFS= read -r first <"$file" || true
        if [[ $first =~ ^\#!.*[/[:space:]](ba|da|k)?sh([[:space:]]|$) ]]; then
            printf '%s\n' "$file"
        fi
    done < <(candidates)
}

candidates() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard
    else  # an exported tree without .git
        find . \( -name .git -o -name .venv -o -name build -o -name run \) -prune \
            -o -type f -printf '%P\0'
    fi
}

if [ "${1:-}" = "--shell-files" ]; then
    shell_files
    exit 0
fi

bash scripts/install.sh --tests  # ruff and mypy are test tools
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
mapfile -t scripts < <(shell_files)
shellcheck --external-sources "${scripts[@]}"
