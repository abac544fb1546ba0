"""Today's execution analytics of a tenant, cached in Redis (LLD §1.3).

Key ``metrics:today:{tenant_id}`` (TTL 1 h) holds the day's analytics as JSON: the LLD's
``total_executions``, ``success_rate`` and ``avg_duration`` (``avg_duration_ms``) with the
rest of the ``GET /api/v1/analytics/executions`` body for that day. A read computes and
stores it on a miss; the Redis relay deletes it when it publishes an event that changes the
figures (an execution queued, failed over, or finished) of that tenant.

A computation that raced with such a deletion must not store figures read before it: the
relay also bumps ``metrics:today:{tenant_id}:gen``, and the value is stored only if that
counter did not move while the figures were computed. Without ``OMIUM_REDIS_URL`` there is
no cache (the relay that invalidates it runs only with Redis); a Redis error is a miss.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

import redis

from omium.schemas.resources import ExecutionAnalytics

log = logging.getLogger(__name__)

TTL_SECONDS = 3600
Generation = bytes | str | None
# Events after which a tenant's figures for the day may differ.
INVALIDATING_EVENTS = frozenset(
    {
        "execution_queued",
        "execution_completed",
        "execution_failed",
        "execution_cancelled",
        "execution_rolled_back",
        "failure_detected",
    }
)


def metrics_key(tenant_id: uuid.UUID | str, prefix: str = "") -> str:
    return f"{prefix}metrics:today:{tenant_id}"


def generation_key(tenant_id: uuid.UUID | str, prefix: str = "") -> str:
    return f"{metrics_key(tenant_id, prefix)}:gen"


def invalidate(pipe: Any, tenant_id: uuid.UUID | str, prefix: str = "") -> None:
    """Queue the invalidation of a tenant's cached figures on a Redis pipeline."""
    gen = generation_key(tenant_id, prefix)
    pipe.delete(metrics_key(tenant_id, prefix))
    pipe.incr(gen)
    pipe.expire(gen, TTL_SECONDS)


class MetricsCache:
    """``metrics:today:{tenant_id}`` in Redis."""

    def __init__(self, url: str, *, prefix: str = "") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2)
        self._prefix = prefix

    def lookup(
        self, tenant_id: uuid.UUID, today: date
    ) -> tuple[ExecutionAnalytics | None, Generation]:
        """The cached figures for ``today`` (None on a miss) and the generation read with them."""
        try:
            raw, gen = self._client.mget(
                [metrics_key(tenant_id, self._prefix), generation_key(tenant_id, self._prefix)]
            )
        except redis.RedisError as exc:
            log.warning("metrics cache: Redis unavailable (%s); computing", exc)
            return None, None
        if raw is None:
            return None, gen
        try:
            cached = ExecutionAnalytics.model_validate_json(raw)
        except ValueError:
            return None, gen
        # Yesterday's figures under today's key (the hour spans midnight) are a miss.
        if cached.start_date != today or cached.end_date != today:
            return None, gen
        return cached, gen

    def store(self, tenant_id: uuid.UUID, value: ExecutionAnalytics, gen: Generation) -> None:
        """Store ``value`` unless the tenant was invalidated since ``gen`` was read."""
        key = metrics_key(tenant_id, self._prefix)
        gen_key = generation_key(tenant_id, self._prefix)
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.watch(gen_key)  # type: ignore[no-untyped-call]
                if pipe.get(gen_key) != gen:
                    return
                pipe.multi()
                pipe.set(key, value.model_dump_json(), ex=TTL_SECONDS)
                pipe.execute()
        except redis.WatchError:
            return  # invalidated while computing: the next read computes again
        except redis.RedisError as exc:
            log.warning("metrics cache: Redis unavailable (%s); not cached", exc)

    def close(self) -> None:
        self._client.close()
