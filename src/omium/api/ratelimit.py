"""Rate limits per principal and route: a fixed one-minute window of counted requests.

In Redis when ``OMIUM_REDIS_URL`` is set (shared by every API process; LLD §1.3 key
``rate_limit:{principal}:{endpoint}``, TTL 60 s), in process memory otherwise.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio

WINDOW_SECONDS = 60
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(max(1, int(self.reset_after + 0.999))),
        }


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int) -> RateDecision:
        """Count one request under ``key``; whether it is within ``limit`` per window.
        Runs on the API's event loop and never blocks it."""
        ...

    async def aclose(self) -> None:
        """Release what :meth:`hit` opened (on the loop it ran on)."""
        ...


def _decide(count: int, limit: int, reset_after: float) -> RateDecision:
    return RateDecision(count <= limit, limit, max(0, limit - count), reset_after)


class MemoryRateLimiter:
    """One process's counters; enough for a single `omium server`."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[float, int]] = {}
        self._last_prune = time.monotonic()

    async def hit(self, key: str, limit: int) -> RateDecision:
        return self.count(key, limit)

    def count(self, key: str, limit: int) -> RateDecision:
        now = time.monotonic()
        with self._lock:
            started, count = self._counters.get(key, (now, 0))
            if now - started >= self._window:
                started, count = now, 0
            count += 1
            self._counters[key] = (started, count)
            if now - self._last_prune > self._window:
                self._prune(now)
        return _decide(count, limit, started + self._window - now)

    async def aclose(self) -> None:
        self._counters.clear()

    def _prune(self, now: float) -> None:
        self._counters = {k: v for k, v in self._counters.items() if now - v[0] < self._window}
        self._last_prune = now


# One round trip and one command: count, start the window's expiry on its first hit (or on a
# counter that somehow has none), and say when the window ends.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimiter:
    """Counters in Redis: INCR, an expiry set on the first hit of a window, its TTL (a Lua
    script: one command, about half the CPU of a MULTI/EXEC pipeline on both sides)."""

    def __init__(self, url: str, *, prefix: str = "", window: int = WINDOW_SECONDS) -> None:
        self._url = url
        # Made on first use, on the API's event loop (an asyncio client belongs to its loop).
        self._client: redis.asyncio.Redis | None = None
        self._script: Any = None
        self._prefix = prefix
        self._window = window

    def _decision(self, reply: list[Any], limit: int) -> RateDecision:
        count, pttl = reply
        reset_after = (pttl if pttl and pttl > 0 else self._window * 1000) / 1000
        return _decide(int(count), limit, reset_after)

    async def hit(self, key: str, limit: int) -> RateDecision:
        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(self._url, socket_timeout=2)
            self._script = self._client.register_script(_HIT_SCRIPT)
        name = f"{self._prefix}rate_limit:{key}"
        try:
            reply = await self._script(keys=[name], args=[self._window * 1000])
        except redis.RedisError as exc:
            # Redis being down must not take the API down with it: let the request through.
            log.warning("rate limiter: Redis unavailable (%s); request not counted", exc)
            return RateDecision(True, limit, limit, float(self._window))
        return self._decision(reply, limit)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
