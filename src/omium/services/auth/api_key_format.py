"""The shape of an API key: ``omk_<8 id chars>_<secret>``; found by its prefix, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
import string

API_KEY_PREFIX = "omk_"
_ID_LEN = 8
_ALPHABET = string.ascii_lowercase + string.digits


def new_api_key() -> tuple[str, str, str]:
    """A new key: (the full secret, shown once; its prefix; its hash)."""
    key_id = "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LEN))
    key = f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key, API_KEY_PREFIX + key_id, hash_api_key(key)


def prefix_of(key: str) -> str | None:
    """The stored prefix of ``key`` (``omk_xxxxxxxx``), or None if it is not shaped like one."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    rest = key[len(API_KEY_PREFIX) :]
    key_id, sep, secret = rest.partition("_")
    if len(key_id) != _ID_LEN or not sep or not secret:
        return None
    return API_KEY_PREFIX + key_id


def hash_api_key(key: str) -> str:
    # 256 random bits per key: SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()
