"""A short-lived cache of authenticated principals, keyed by a hash of the credential.

Verifying a credential costs an RS256 check and a database read (the user's status and
auth epoch, or the API key's row); a client sends the same credential with every request.
An entry lives at most ``ttl`` seconds and never past the credential's own expiry.

Revocation: a process forgets a user's or a key's entries at once when it changes them
(:func:`forget_user`, :func:`forget_api_key`, called after the commit). Other processes
see the change on their next miss, so within ``ttl`` seconds (``OMIUM_AUTH_CACHE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from omium.services.auth.principal import Principal

#: Entries kept per process; beyond it the oldest go first.
MAX_ENTRIES = 10_000

_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()
_registry_lock = threading.Lock()


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    until: float


def credential_key(credential: str) -> str:
    # The cache keeps no secret: a SHA-256 of a credential that carries 256 random bits (or
    # a signed token) cannot be turned back into it.
    return hashlib.sha256(credential.encode()).hexdigest()


class PrincipalCache:
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        # Bumped by every forget: a lookup that began before it does not store its result,
        # which may have been read from the database before the change was committed.
        self._generation = 0
        with _registry_lock:
            _caches.add(self)

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.until <= self._clock():
            with self._lock:
                self._entries.pop(key, None)
            return None
        return entry.principal

    def put(self, key: str, principal: Principal, generation: int, expires_in: float) -> None:
        """Keep ``principal`` for ``min(ttl, expires_in)`` seconds, unless something was
        forgotten since ``generation`` was read."""
        lifetime = min(self.ttl, expires_in)
        if lifetime <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._evict()
            self._entries[key] = _Entry(principal, self._clock() + lifetime)

    def _evict(self) -> None:
        now = self._clock()
        live = {k: e for k, e in self._entries.items() if e.until > now}
        if len(live) >= MAX_ENTRIES:
            # Insertion order: the oldest entries are first.
            for key in list(live)[: len(live) // 2]:
                del live[key]
        self._entries = live

    def forget(self, match: Callable[[Principal], bool]) -> None:
        with self._lock:
            self._generation += 1
            self._entries = {k: e for k, e in self._entries.items() if not match(e.principal)}

    def clear(self) -> None:
        self.forget(lambda _: True)


def _forget_everywhere(match: Callable[[Principal], bool]) -> None:
    with _registry_lock:
        caches = list(_caches)
    for cache in caches:
        cache.forget(match)


def forget_user(*user_ids: uuid.UUID) -> None:
    """Drop every cached principal of these users (their tokens and their API keys)."""
    ids = set(user_ids)
    if ids:
        _forget_everywhere(lambda p: p.user_id in ids)


def forget_api_key(*key_ids: uuid.UUID) -> None:
    """Drop the cached principals of these API keys."""
    ids = set(key_ids)
    if ids:
        _forget_everywhere(lambda p: p.api_key_id in ids)
