"""Abuse limits, CSRF tokens, phone/NIK handling, passwords: pure parts, real clocks passed in."""

from __future__ import annotations

from nodes.hub.web import accounts
from nodes.hub.web.config import User
from nodes.hub.web.guard import (
    MAX_KEYS,
    PENDING,
    OnlineHolds,
    RateLimit,
    SignInGuard,
    csrf_ok,
    holder_digest,
    new_csrf_token,
    normalise_nik,
    normalise_phone,
)


def test_rate_limit_is_a_sliding_minute_per_address() -> None:
    limit = RateLimit(per_minute=3)
    assert [limit.allow("10.0.0.5", t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limit.allow("10.0.0.6", 3)  # another address has its own budget
    assert not limit.allow("10.0.0.5", 59.9)
    assert limit.allow("10.0.0.5", 60.5)  # the first attempt has left the window


def test_rate_limit_memory_is_bounded() -> None:
    limit = RateLimit(per_minute=1)
    for i in range(MAX_KEYS + 500):
        limit.allow(f"addr-{i}", 0)
    assert len(limit._hits) == MAX_KEYS


def test_ten_failed_sign_ins_lock_the_name_even_for_the_right_password() -> None:
    guard = SignInGuard(attempts=10, lock_s=900)
    keys = ("user:camat", "addr:1.2.3.4")
    for i in range(9):
        guard.failed(keys, float(i))
        assert not guard.locked(keys, float(i))
    guard.failed(keys, 9.0)
    assert guard.locked(keys, 10.0)
    assert guard.locked(("user:camat", "addr:5.6.7.8"), 10.0)  # from elsewhere too
    assert not guard.locked(("user:camat", "addr:5.6.7.8"), 901.0)  # the lock expires


def test_a_success_clears_the_failures() -> None:
    guard = SignInGuard(attempts=3, lock_s=60)
    keys = ("user:a", "addr:x")
    guard.failed(keys, 0)
    guard.failed(keys, 1)
    guard.succeeded(keys)
    guard.failed(keys, 2)
    assert not guard.locked(keys, 3)


def test_phone_numbers_in_the_ways_people_write_them() -> None:
    for text in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456.7890"):
        assert normalise_phone(text) == "6281234567890"
    for text in ("12345", "0212345678", "08123456789012345", "0812abc", ""):
        assert normalise_phone(text) is None


def test_nik_is_sixteen_digits() -> None:
    assert normalise_nik("3201 0123 4567 0001") == "3201012345670001"
    assert normalise_nik("320101234567000") is None
    assert normalise_nik("32010123456700011") is None


def test_holder_digest_hides_the_number_and_depends_on_secret_and_day() -> None:
    digest = holder_digest("secret-1", "2026-11-28", "phone", "6281234567890")
    assert "6281234567890" not in digest and len(digest) == 64
    assert digest == holder_digest("secret-1", "2026-11-28", "phone", "6281234567890")
    assert digest != holder_digest("secret-2", "2026-11-28", "phone", "6281234567890")
    assert digest != holder_digest("secret-1", "2026-11-29", "phone", "6281234567890")


def test_csrf_tokens() -> None:
    token = new_csrf_token()
    assert len(token) >= 40 and token != new_csrf_token()
    assert csrf_ok(token, token)
    assert not csrf_ok(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not csrf_ok(token, None)
    assert not csrf_ok(None, None)
    assert not csrf_ok("", "")


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = accounts.hash_password("rahasia-kantor")
    assert hashed.startswith("$argon2id$") and "m=19456" in hashed
    user = User("camat", "admin", hashed)
    assert accounts.verify(user, "rahasia-kantor")
    assert not accounts.verify(user, "rahasia-kantoR")
    assert not accounts.verify(None, "rahasia-kantor")
    assert not accounts.verify(User("x", "admin", "$argon2id$broken"), "x")


def test_online_holds_reserve_all_keys_or_none() -> None:
    holds = OnlineHolds()
    holds.start_day("2026-11-28")
    active = {"20261128-A-001"}
    held = active.__contains__
    assert holds.claim(["browser:1", "holder:x"], held) is None
    # the same phone from another browser while the first request is at the hub
    assert holds.claim(["browser:2", "holder:x"], held) == ("holder:x", PENDING)
    assert "browser:2" not in holds.held_keys()  # nothing reserved by a refused claim
    holds.settle(["browser:1", "holder:x"], "20261128-A-001")
    assert holds.claim(["browser:1"], held) == ("browser:1", "20261128-A-001")
    active.clear()  # served or cancelled: the holder may take another
    assert holds.claim(["browser:1", "holder:x"], held) is None
    holds.release(["browser:1", "holder:x"])  # the hub refused: free again
    assert holds.held_keys() == []
    holds.settle(["holder:y"], "20261128-A-002")
    holds.start_day("2026-11-29")
    assert holds.held_keys() == []
