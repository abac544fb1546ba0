"""Rate limits per principal and route: a fixed one-minute window of counted requests.

In Redis when ``OMIUM_REDIS_URL`` is set (shared by every API process; LLD §1.3 key
``rate_limit:{principal}:{endpoint}``, TTL 60 s), in process memory otherwise.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

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
    #: Whether :meth:`hit` waits on the network (the API then calls it from a thread).
    blocking: bool

    def hit(self, key: str, limit: int) -> RateDecision:
        """Count one request under ``key``; whether it is within ``limit`` per window."""
        ...

    def close(self) -> None: ...


def _decide(count: int, limit: int, reset_after: float) -> RateDecision:
    return RateDecision(count <= limit, limit, max(0, limit - count), reset_after)


class MemoryRateLimiter:
    """One process's counters; enough for a single `omium server`."""

    blocking = False

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

    def _prune(self, now: float) -> None:
        self._counters = {k: v for k, v in self._counters.items() if now - v[0] < self._window}
        self._last_prune = now

    def close(self) -> None:
        self._counters.clear()


class RedisRateLimiter:
    """Counters in Redis: INCR, an expiry set on the first hit of a window, its TTL."""

    blocking = True

    def __init__(self, url: str, *, prefix: str = "", window: int = WINDOW_SECONDS) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2)
        self._prefix = prefix
        self._window = window

    def hit(self, key: str, limit: int) -> RateDecision:
        name = f"{self._prefix}rate_limit:{key}"
        pipe = self._client.pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, self._window, nx=True)
        pipe.pttl(name)
        try:
            count, _, pttl = pipe.execute()
        except redis.RedisError as exc:
            # Redis being down must not take the API down with it: let the request through.
            log.warning("rate limiter: Redis unavailable (%s); request not counted", exc)
            return RateDecision(True, limit, limit, float(self._window))
        reset_after = (pttl if pttl and pttl > 0 else self._window * 1000) / 1000
        return _decide(int(count), limit, reset_after)

    def close(self) -> None:
        self._client.close()
