"""`antrian officer-pin`: read an officer's PIN and print the `[[officers]] pin_hash` line.

    $ antrian officer-pin
    PIN (4-8 digits):
    Again:
    pin_hash = "pbkdf2-sha256$20000$..."

From a pipe (provisioning scripts) it reads one line and asks nothing. The PIN itself is
never written anywhere; paste the line into the hub's file under the officer.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from common.accounts import pin_hash
from common.wire import PIN_PATTERN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian officer-pin",
        description="Read an officer's PIN and print its hash for [[officers]] pin_hash.",
    )
    parser.parse_args(argv)
    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (4-8 digits): ")
        if pin != getpass.getpass("Again: "):
            print("antrian officer-pin: the PINs differ", file=sys.stderr)
            return 1
    else:
        pin = sys.stdin.readline().strip()
    if not PIN_PATTERN.match(pin):
        print("antrian officer-pin: a PIN is 4 to 8 digits", file=sys.stderr)
        return 2
    print(f'pin_hash = "{pin_hash(pin)}"')
    return 0
