"""The principal cache: bounded lifetime, forgetting, and no stale write-back after a forget."""

from __future__ import annotations

import uuid

import pytest

from omium.services.auth import cache as cache_module
from omium.services.auth.cache import PrincipalCache, credential_key, forget_api_key, forget_user
from omium.services.auth.principal import Principal


def _principal(*, user: uuid.UUID | None = None, key: uuid.UUID | None = None) -> Principal:
    return Principal(
        tenant_id=uuid.uuid4(),
        user_id=user or uuid.uuid4(),
        email="a@example.com",
        roles=("viewer",),
        permissions=frozenset({"workflow:read"}),
        api_key_id=key,
    )


def test_an_entry_lives_the_shorter_of_ttl_and_the_credentials_own_expiry() -> None:
    now = [0.0]
    cache = PrincipalCache(5.0, clock=lambda: now[0])
    p = _principal()
    cache.put("long", p, cache.generation, expires_in=3600)
    cache.put("short", p, cache.generation, expires_in=2)
    cache.put("expired", p, cache.generation, expires_in=0)
    assert cache.get("expired") is None
    now[0] = 1.9
    assert cache.get("short") is p and cache.get("long") is p
    now[0] = 2.0
    assert cache.get("short") is None and cache.get("long") is p
    now[0] = 5.0
    assert cache.get("long") is None


def test_forget_user_and_key_drop_their_entries_in_every_cache() -> None:
    user, key = uuid.uuid4(), uuid.uuid4()
    first, second = PrincipalCache(60), PrincipalCache(60)
    for cache in (first, second):
        cache.put("token", _principal(user=user), cache.generation, 60)
        cache.put("key", _principal(user=uuid.uuid4(), key=key), cache.generation, 60)
        cache.put("other", _principal(), cache.generation, 60)
    forget_user(user)
    forget_api_key(key)
    for cache in (first, second):
        assert cache.get("token") is None and cache.get("key") is None
        assert cache.get("other") is not None


def test_a_lookup_that_raced_with_a_forget_is_not_stored() -> None:
    cache = PrincipalCache(60)
    generation = cache.generation  # a lookup starts, reads the database...
    forget_user(uuid.uuid4())  # ...a revocation commits meanwhile...
    cache.put("token", _principal(), generation, 60)  # ...its result is not kept
    assert cache.get("token") is None


def test_the_cache_stays_bounded_and_keeps_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 10)
    cache = PrincipalCache(60)
    for i in range(25):
        cache.put(credential_key(f"omk_secret_{i}"), _principal(), cache.generation, 60)
    assert len(cache._entries) <= 10
    assert all("secret" not in k for k in cache._entries)
