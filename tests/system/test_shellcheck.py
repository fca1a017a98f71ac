"""shellcheck is clean on every shell script of the repository.

The list comes from `scripts/check.sh --shell-files` (files named *.sh and files with a
shell shebang, committed or new), so a script added anywhere is checked without being
named here.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.system.units import ROOT


def shell_files() -> list[str]:
    result = subprocess.run(
        ["bash", "scripts/check.sh", "--shell-files"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_the_list_finds_scripts_by_name_and_by_shebang() -> None:
    files = shell_files()
    # By name, and by shebang alone (.ci/run has no .sh).
    assert {"scripts/check.sh", "scripts/test.sh", ".ci/run"} <= set(files), files
    assert not [name for name in files if name.endswith(".py")]


def test_shellcheck_is_clean() -> None:
    binary = shutil.which("shellcheck")
    assert binary, "shellcheck is missing: run scripts/install.sh"
    files = shell_files()
    result = subprocess.run(
        [binary, "--external-sources", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
