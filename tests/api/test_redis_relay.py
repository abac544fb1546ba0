"""The outbox drained to Redis (LLD §1.3): pub/sub, live status and progress, active set."""

from __future__ import annotations

import json
import time
import uuid

import redis
from sqlalchemy import func, select

from omium.services.redis_relay import RedisRelay
from omium.store.models import ExecutionEvent
from tests.api.conftest import Account, Api
from tests.api.flows import create_workflow, start_execution


def test_events_are_published_once_with_the_live_view(
    api: Api, owner: Account, redis_url: str
) -> None:
    prefix = f"omium-test-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(f"{prefix}channel:execution_events")
    relay = RedisRelay(api.runtime.db, redis_url, prefix=prefix)
    try:
        wf = create_workflow(owner)
        ex = start_execution(owner, wf["id"])
        owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
        assert relay.drain_once() == 2
        assert relay.drain_once() == 0
        got = []
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "message":
                got.append(json.loads(message["data"]))
        assert [m["event_type"] for m in got] == ["execution_queued", "execution_paused"]
        assert got[0]["execution_id"] == ex["id"]
        assert got[0]["tenant_id"] == owner.tenant_id
        base = f"{prefix}execution:{ex['id']}"
        assert client.get(f"{base}:status") == b"paused"
        assert 0 < client.ttl(f"{base}:status") <= 86400
        assert json.loads(client.get(f"{base}:progress") or b"{}")["total_steps"] == 0
        owner.client.post(f"/api/v1/executions/{ex['id']}/resume")
        relay.drain_once()
        assert client.get(f"{base}:status") == b"running"
        assert client.zscore(f"{prefix}active_executions", ex["id"]) is not None
        owner.client.post(f"/api/v1/executions/{ex['id']}/cancel")
        relay.drain_once()
        assert client.zscore(f"{prefix}active_executions", ex["id"]) is None
        with api.runtime.db.session() as session:
            unpublished = session.scalar(
                select(func.count())
                .select_from(ExecutionEvent)
                .where(ExecutionEvent.published_at.is_(None))
            )
        assert unpublished == 0
    finally:
        relay.stop()
        pubsub.close()
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
