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
    def hit(self, key: str, limit: int) -> RateDecision:
        """Count one request under ``key``; whether it is within ``limit`` per window."""
        ...

    async def hit_async(self, key: str, limit: int) -> RateDecision:
        """:meth:`hit` for an event loop: never blocks it."""
        ...

    async def aclose(self) -> None:
        """Release what :meth:`hit_async` opened (on the loop it ran on)."""
        ...

    def close(self) -> None: ...


def _decide(count: int, limit: int, reset_after: float) -> RateDecision:
    return RateDecision(count <= limit, limit, max(0, limit - count), reset_after)


class MemoryRateLimiter:
    """One process's counters; enough for a single `omium server`."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[float, int]] = {}
        self._last_prune = time.monotonic()

    def hit(self, key: str, limit: int) -> RateDecision:
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

    async def hit_async(self, key: str, limit: int) -> RateDecision:
        return self.hit(key, limit)

    async def aclose(self) -> None:
        return None

    def _prune(self, now: float) -> None:
        self._counters = {k: v for k, v in self._counters.items() if now - v[0] < self._window}
        self._last_prune = now

    def close(self) -> None:
        self._counters.clear()


class RedisRateLimiter:
    """Counters in Redis: INCR, an expiry set on the first hit of a window, its TTL."""

    def __init__(self, url: str, *, prefix: str = "", window: int = WINDOW_SECONDS) -> None:
        self._url = url
        self._client = redis.Redis.from_url(url, socket_timeout=2)
        # The API's client, made on first use on its event loop (it belongs to that loop).
        self._async: redis.asyncio.Redis | None = None
        self._prefix = prefix
        self._window = window

    def _queue(self, pipe: Any, key: str) -> None:
        name = f"{self._prefix}rate_limit:{key}"
        pipe.incr(name)
        pipe.expire(name, self._window, nx=True)
        pipe.pttl(name)

    def _decision(self, replies: list[Any], limit: int) -> RateDecision:
        count, _, pttl = replies
        reset_after = (pttl if pttl and pttl > 0 else self._window * 1000) / 1000
        return _decide(int(count), limit, reset_after)

    def _unavailable(self, exc: Exception, limit: int) -> RateDecision:
        # Redis being down must not take the API down with it: let the request through.
        log.warning("rate limiter: Redis unavailable (%s); request not counted", exc)
        return RateDecision(True, limit, limit, float(self._window))

    def hit(self, key: str, limit: int) -> RateDecision:
        pipe = self._client.pipeline(transaction=True)
        self._queue(pipe, key)
        try:
            return self._decision(pipe.execute(), limit)
        except redis.RedisError as exc:
            return self._unavailable(exc, limit)

    async def hit_async(self, key: str, limit: int) -> RateDecision:
        if self._async is None:
            self._async = redis.asyncio.Redis.from_url(self._url, socket_timeout=2)
        pipe = self._async.pipeline(transaction=True)
        self._queue(pipe, key)
        try:
            return self._decision(await pipe.execute(), limit)
        except redis.RedisError as exc:
            return self._unavailable(exc, limit)

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None

    def close(self) -> None:
        self._client.close()
