"""The outbox drained to Redis (LLD §1.3), when ``OMIUM_REDIS_URL`` is set.

Every committed ``execution_events`` row is published once on ``channel:execution_events``
(``failure_detected`` also on ``channel:failure_alerts``) as JSON, then marked published.
For each execution it touched, the relay also keeps the live view other services read:
``execution:{id}:status`` and ``execution:{id}:progress`` (TTL 24 h) and the
``active_executions`` sorted set (running executions, scored by their start time), and
deletes the ``metrics:today:{tenant_id}`` cache of a tenant whose figures an event changed.
On PostgreSQL several API processes may relay at once: rows are claimed with
``FOR UPDATE SKIP LOCKED``, so each event is published by one of them.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import redis
from sqlalchemy import case, func, select, update

from omium.clock import utcnow
from omium.services.metrics_cache import INVALIDATING_EVENTS, invalidate
from omium.store.db import Database
from omium.store.models import Agent, Execution, ExecutionEvent

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "channel:execution_events"
FAILURES_CHANNEL = "channel:failure_alerts"
ACTIVE = "active_executions"
STATUS_TTL = 86400


class RedisRelay:
    def __init__(self, db: Database, redis_url: str, *, prefix: str = "", batch: int = 500):
        self._db = db
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5)
        self._prefix = prefix
        self._batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def drain_once(self) -> int:
        """Publish the unpublished events (one batch); how many were published."""
        with self._db.session() as session:
            stmt = (
                select(ExecutionEvent)
                .where(ExecutionEvent.published_at.is_(None))
                .order_by(ExecutionEvent.id)
                .limit(self._batch)
            )
            if self._db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(session.scalars(stmt))
            if not rows:
                return 0
            touched = {row.execution_id for row in rows}
            live = self._live_view(session, touched)
            pipe = self._redis.pipeline(transaction=False)
            for row in rows:
                message = json.dumps(
                    {
                        "id": row.id,
                        "tenant_id": str(row.tenant_id),
                        "execution_id": str(row.execution_id),
                        "event_type": row.event_type,
                        "timestamp": row.created_at.isoformat(),
                        "data": row.payload,
                    }
                )
                pipe.publish(self.key(EVENTS_CHANNEL), message)
                if row.event_type == "failure_detected":
                    pipe.publish(self.key(FAILURES_CHANNEL), message)
            for execution_id, (status, started, progress) in live.items():
                self._write_live(pipe, execution_id, status, started, progress)
            for tenant_id in {r.tenant_id for r in rows if r.event_type in INVALIDATING_EVENTS}:
                invalidate(pipe, tenant_id, self._prefix)
            # Published before marked: a crash in between publishes again (at least once),
            # never loses an event.
            pipe.execute()
            session.execute(
                update(ExecutionEvent)
                .where(ExecutionEvent.id.in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
            session.commit()
            return len(rows)

    def _live_view(
        self, session: Any, ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, float | None, dict[str, Any]]]:
        executions = session.execute(
            select(Execution.id, Execution.status, Execution.started_at).where(
                Execution.id.in_(ids)
            )
        ).all()
        agents = session.execute(
            select(
                Agent.execution_id,
                func.count(),
                func.sum(case((Agent.status == "completed", 1), else_=0)),
            )
            .where(Agent.execution_id.in_(ids))
            .group_by(Agent.execution_id)
        ).all()
        counts = {row[0]: (int(row[1]), int(row[2] or 0)) for row in agents}
        out: dict[uuid.UUID, tuple[str, float | None, dict[str, Any]]] = {}
        for execution_id, status, started_at in executions:
            total, done = counts.get(execution_id, (0, 0))
            progress = {
                "current_step": done,
                "total_steps": total,
                "percentage": round(100.0 * done / total, 1) if total else 0.0,
            }
            out[execution_id] = (
                str(status),
                started_at.timestamp() if started_at else None,
                progress,
            )
        return out

    def _write_live(
        self,
        pipe: Any,
        execution_id: uuid.UUID,
        status: str,
        started: float | None,
        progress: dict[str, Any],
    ) -> None:
        base = self.key(f"execution:{execution_id}")
        pipe.set(f"{base}:status", status, ex=STATUS_TTL)
        pipe.set(f"{base}:progress", json.dumps(progress), ex=STATUS_TTL)
        if status == "running":
            pipe.zadd(self.key(ACTIVE), {str(execution_id): started or 0.0})
        else:
            pipe.zrem(self.key(ACTIVE), str(execution_id))

    def start(self, interval: float = 0.2) -> None:
        """Drain in a background thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    while self.drain_once():
                        pass
                except Exception:  # the relay must outlive a Redis or database hiccup
                    log.exception("redis relay: drain failed; retrying")
                self._stop.wait(interval)

        self._thread = threading.Thread(target=loop, name="omium-redis-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._redis.close()
