"""Broker accounts: strong passwords and mosquitto's own password hash.

mosquitto 2 stores `user:$7$iterations$salt$hash` (PBKDF2-HMAC-SHA512, 12-byte salt,
64-byte key, both base64). Computing it here means `antrian provision` runs on any
laptop with Python, without mosquitto_passwd; the tests check a real mosquitto accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

ITERATIONS = 101  # mosquitto_passwd's default; the passwords are random, not guessable


def new_password() -> str:
    """144 random bits, URL-safe: no quoting trouble in TOML, shells or a phone keyboard."""
    return secrets.token_urlsafe(18)


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(12) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS, 64)
    encode = base64.b64encode
    return f"$7${ITERATIONS}${encode(salt).decode()}${encode(key).decode()}"


def passwd_text(accounts: dict[str, str]) -> str:
    """mosquitto's password file from {user: hash}."""
    return "".join(f"{user}:{hashed}\n" for user, hashed in sorted(accounts.items()))
