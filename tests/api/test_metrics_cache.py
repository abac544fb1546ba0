"""Today's analytics cached in Redis under ``metrics:today:{tenant_id}`` (LLD §1.3)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from omium.api.app import create_app
from omium.api.ratelimit import MemoryRateLimiter
from omium.bootstrap import Runtime
from omium.schemas.resources import ExecutionAnalytics
from omium.services.metrics_cache import MetricsCache
from omium.services.redis_relay import RedisRelay
from omium.store.db import Database
from omium.testing.http import serve
from tests.api.conftest import Account, Api, make_settings
from tests.api.flows import create_workflow, start_execution


@pytest.fixture
def prefix() -> str:
    return f"omium-test-{uuid.uuid4().hex}:"


@pytest.fixture
def rclient(redis_url: str, prefix: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def cached_api(db: Database, tmp_path: Path, redis_url: str, prefix: str) -> Iterator[Api]:
    runtime = Runtime(settings=make_settings(db, tmp_path), db=db)
    app = create_app(
        runtime,
        rate_limiter=MemoryRateLimiter(),
        metrics_cache=MetricsCache(redis_url, prefix=prefix),
    )
    with serve(app) as base_url:
        handle = Api(base_url=base_url, runtime=runtime, kit=app.state.auth)
        try:
            yield handle
        finally:
            for client in handle.clients:
                client.close()


def today_figures(account: Account) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    response = account.client.get(
        "/api/v1/analytics/executions", params={"start_date": today, "end_date": today}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["analytics"]
    return body


def test_today_is_cached_per_tenant_and_invalidated_when_an_execution_finishes(
    cached_api: Api, rclient: redis.Redis, redis_url: str, prefix: str
) -> None:
    owner = cached_api.register()
    other = cached_api.register()
    relay = RedisRelay(cached_api.runtime.db, redis_url, prefix=prefix)
    key = f"{prefix}metrics:today:{owner.tenant_id}"
    other_key = f"{prefix}metrics:today:{other.tenant_id}"
    try:
        wf = create_workflow(owner)
        ex = start_execution(owner, wf["id"])
        owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
        relay.drain_once()

        # A miss computes from the database and stores the figures with a TTL of at most 1 h.
        first = today_figures(owner)
        assert first["total_executions"] == 1
        stored = json.loads(rclient.get(key) or b"{}")
        assert stored["total_executions"] == 1
        assert {"success_rate", "avg_duration_ms"} <= set(stored)
        assert 0 < rclient.ttl(key) <= 3600

        # A hit is served from Redis: figures written there are what the API answers.
        rclient.set(key, json.dumps({**stored, "total_executions": 999}), keepttl=True)
        assert today_figures(owner)["total_executions"] == 999

        # Another tenant's figures are its own, under its own key.
        assert today_figures(other)["total_executions"] == 0
        assert json.loads(rclient.get(other_key) or b"{}")["total_executions"] == 0
        assert today_figures(owner)["total_executions"] == 999

        # The execution finishes: the relay deletes the owner's key, not the other tenant's.
        cancelled = owner.client.post(f"/api/v1/executions/{ex['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        relay.drain_once()
        assert rclient.get(key) is None
        assert rclient.get(other_key) is not None
        fresh = today_figures(owner)
        assert fresh["total_executions"] == 1
        assert fresh["successful"] == 0
        assert rclient.get(key) is not None
    finally:
        relay.stop()


def test_stale_figures_are_not_stored_after_an_invalidation(
    cached_api: Api, rclient: redis.Redis, redis_url: str, prefix: str
) -> None:
    owner = cached_api.register()
    cache = MetricsCache(redis_url, prefix=prefix)
    tenant = uuid.UUID(owner.tenant_id)
    today = datetime.now(UTC).date()
    try:
        figures = today_figures(owner)
        rclient.delete(f"{prefix}metrics:today:{tenant}")
        missed, gen = cache.lookup(tenant, today)
        assert missed is None
        # The relay invalidates the tenant while the figures are being computed.
        rclient.incr(f"{prefix}metrics:today:{tenant}:gen")
        cache.store(tenant, ExecutionAnalytics.model_validate(figures), gen)
        assert rclient.get(f"{prefix}metrics:today:{tenant}") is None
    finally:
        cache.close()
