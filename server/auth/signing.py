"""Signed, expiring export links: `?exp=<unix seconds>&sig=<HMAC-SHA256(secret, path + exp)>`, no key needed."""

from __future__ import annotations

import hashlib
import hmac
import time

EXP_DIGITS = 12  # a unix time in seconds until the year 33658; longer `exp` values are not links we made


def sign_path(secret: bytes, path: str, ttl_seconds: int, now: float | None = None) -> str:
    """`path` with `exp` and `sig` query parameters appended."""
    exp = int((time.time() if now is None else now) + ttl_seconds)
    return f"{path}?exp={exp}&sig={_mac(secret, path, exp)}"


def link_is_valid(secret: bytes, path: str, exp: str, sig: str, now: float | None = None) -> bool:
    """True when `sig` signs `path` and `exp`, and `exp` has not passed."""
    if not (exp.isascii() and exp.isdigit() and len(exp) <= EXP_DIGITS):
        return False
    if int(exp) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_mac(secret, path, int(exp)), sig)


def _mac(secret: bytes, path: str, exp: int) -> str:
    return hmac.new(secret, f"{path}\n{exp}".encode(), hashlib.sha256).hexdigest()
