"""Dashboard accounts: argon2id password hashes (memory-hard) and their verification."""

from __future__ import annotations

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from nodes.hub.web.config import User

#: argon2id with 19 MiB and 2 passes (the OWASP minimum): a guess costs real memory, yet a
#: Raspberry Pi verifies a sign-in in well under a second. Hashes carry their parameters,
#: so raising these later does not break existing accounts.
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH: Final = _HASHER.hash("antrian-no-such-user")


def hash_password(password: str) -> str:
    """The string to paste as `password_hash` in `[[web.users]]`."""
    return _HASHER.hash(password)


def verify(user: User | None, password: str) -> bool:
    """True if `password` is this user's. Takes ~0.1-0.5 s: call it off the event loop."""
    try:
        return (
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
            and user is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
