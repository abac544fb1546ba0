"""The last boundary completes the execution in its own statement; the PostgreSQL boundary
statement keeps one prepared form per variant."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from typing import Any, cast

import pytest
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import func, select, update
from sqlalchemy.pool import QueuePool

from omium.agents import AgentContext, agent
from omium.clock import utcnow
from omium.engine import claims, pg_boundary
from omium.engine.events import Event
from omium.engine.runner import Runner, RunResult
from omium.store.models import (
    Agent,
    AgentMetrics,
    Checkpoint,
    Execution,
    ExecutionEvent,
    ExecutionMetrics,
)
from omium.store.uow import UnitOfWork
from tests.engine import agents
from tests.engine.conftest import Env, linear

#: Incompressible enough that its part (gzip) stays above the inline limit: blob store.
LARGE = os.urandom(300 * 1024).hex()


@agent("large_output")
def large_output(ctx: AgentContext) -> dict[str, Any]:
    return {"large": LARGE}


def _types(args: list[Any]) -> tuple[int, ...]:
    """The type oids psycopg sends ``args`` with: its prepared statements' key."""
    tx = Transformer()
    tx.dump_sequence(args, [PyFormat.AUTO] * len(args))
    return tuple(tx.types or ())


def _boundary(shape: int, *, first: bool = False, final: bool = False) -> tuple[bytes, Any]:
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(shape)]
    parts = [
        {
            "digest": f"d{i}",
            "compression": "none",
            "raw_size": 10 * i,
            "stored_size": 3,
            "data": None if i == 2 else b"abc",
            "location": "blob/key" if i == 2 else None,
        }
        for i in range(shape)
    ]
    completion = (
        pg_boundary.Completion(
            completed_at=now,
            result={"a": shape},
            output={},
            duration_ms=40000 * shape,
            checkpoint=None if shape == 0 else "a1_complete",
            checkpoint_overhead_ms=shape,
            consensus_overhead_ms=0,
            retry_count=shape,
            agent_durations=[(i, 5) for i in ids],
            event_row={"event_type": "execution_completed"},
            measured_at=now,
        )
        if final
        else None
    )
    statement, args = pg_boundary.params(
        tenant_id=uuid.uuid4(),
        execution_id=uuid.uuid4(),
        worker_id="w",
        now=now,
        lease_until=now,
        known=[f"k{i}" for i in range(shape)],
        part_rows=parts,
        checkpoint_rows=[{"id": i, "created_at": now} for i in ids],
        agents=[{"id": i, "status": "running", "started_at": now} for i in ids],
        new_agents=[{"id": i, "status": "pending"} for i in ids] if first else [],
        finished=[{"id": i, "status": "completed"} for i in ids],
        attempts=[{"id": i, "step": 70000} for i in ids],
        event_rows=[{"payload": {"n": i}} for i in range(shape)],
        current=None if shape == 0 else "x",
        last_ok=None if shape == 1 else "y",
        completion=completion,
    )
    return statement.text, _types(args)


def test_every_boundary_of_a_variant_is_sent_with_the_same_types() -> None:
    # Empty lists, NULLs, large numbers and parts with or without data: one prepared
    # statement (psycopg keys them by text and parameter types) per variant.
    for final in (False, True):
        sent = {_boundary(shape, final=final) for shape in range(4)}
        assert len(sent) == 1
    first_run = {_boundary(shape, first=True) for shape in range(1, 4)}
    assert len(first_run) == 1
    texts = {_boundary(1)[0], _boundary(1, final=True)[0], _boundary(1, first=True)[0]}
    assert len(texts) == 3 and all(b"$1" in t and b"%(" not in t for t in texts)


def test_a_worker_that_lost_its_lease_before_the_last_boundary_completes_nothing(
    env: Env,
) -> None:
    wf = linear(2)
    wf["agents"][1]["config"]["handler"] = "blocker"
    ex = env.start(env.workflow(wf))
    deps = env.engine.deps
    assert claims.claim(env.db, "A", limit=1, lease_seconds=30) == [(ex.id, env.tenant_id)]
    last_started = threading.Event()

    def on(event: Event) -> None:
        if event.event_type == "step_started" and event.payload.get("step") == 2:
            last_started.set()

    env.engine.bus.subscribe(on)
    result_a: list[RunResult] = []
    runner_a = Runner(deps, env.tenant_id, ex.id, "A")
    thread = threading.Thread(target=lambda: result_a.append(asyncio.run(runner_a.run())))
    thread.start()
    assert last_started.wait(30)
    with UnitOfWork(env.db) as uow:
        uow.session.execute(update(Execution).where(Execution.id == ex.id).values(lease_owner="B"))
        uow.commit()
    agents.gate.set()
    thread.join(30)
    assert result_a[0].status == "lost"
    with UnitOfWork(env.db) as uow:
        s = uow.session
        row = s.get(Execution, ex.id)
        assert row is not None and row.status == "running" and row.lease_owner == "B"
        assert row.result is None and row.completed_at is None
        names = set(
            s.scalars(select(Checkpoint.checkpoint_name).where(Checkpoint.execution_id == ex.id))
        )
        assert names == {"a1_start", "a1_complete", "a2_start"}
        for model in (ExecutionMetrics, AgentMetrics):
            assert s.scalar(select(func.count()).where(model.execution_id == ex.id)) == 0
        completed_events = s.scalar(
            select(func.count()).where(
                ExecutionEvent.execution_id == ex.id,
                ExecutionEvent.event_type == "execution_completed",
            )
        )
        assert completed_events == 0


def test_the_last_boundary_completes_the_execution_with_its_metrics(env: Env) -> None:
    out = env.run(linear(3))
    assert out.status == "completed" and out.completed_at is not None
    assert out.current_checkpoint == out.last_successful_checkpoint == "a3_complete"
    with UnitOfWork(env.db) as uow:
        s = uow.session
        ex = s.get(Execution, out.id)
        assert ex is not None and ex.lease_owner is None and ex.lease_expires_at is None
        metrics = s.scalars(
            select(ExecutionMetrics).where(ExecutionMetrics.execution_id == ex.id)
        ).one()
        assert metrics.checkpoint_count == 6 and metrics.retry_count == 0
        assert metrics.total_duration_ms == ex.duration_ms
        per_agent = list(s.scalars(select(AgentMetrics).where(AgentMetrics.execution_id == ex.id)))
        rows = list(s.scalars(select(Agent).where(Agent.execution_id == ex.id)))
        assert sorted(m.agent_id for m in per_agent) == sorted(a.id for a in rows)
        assert [a.status for a in rows] == ["completed"] * 3
        events = list(
            s.scalars(
                select(ExecutionEvent.event_type)
                .where(ExecutionEvent.execution_id == ex.id)
                .order_by(ExecutionEvent.id)
            )
        )
        assert events[-1] == "execution_completed" and events.count("execution_completed") == 1


def test_a_boundary_with_a_part_for_the_blob_store_uploads_it_before_its_commit(
    env: Env,
) -> None:
    # The part is uploaded between the statement and the commit: a transaction, not
    # autocommit. The next boundaries only check it (one statement each).
    out = env.run(linear(2, handler="large_output"))
    assert out.status == "completed" and out.result is not None
    assert out.result["large"] == LARGE
    with UnitOfWork(env.db, read_only=True) as uow:
        rows = list(
            uow.session.scalars(
                select(Checkpoint)
                .where(Checkpoint.execution_id == out.id)
                .order_by(Checkpoint.checkpoint_index)
            )
        )
        service = env.engine.deps.checkpoints
        assert [r.checkpoint_name for r in rows] == [
            "a1_start",
            "a1_complete",
            "a2_start",
            "a2_complete",
        ]
        assert rows[0].state_blob_uri.startswith("db://")
        for row in rows[1:]:
            assert not row.state_blob_uri.startswith("db://")
            assert service.get_state(uow, env.tenant_id, row.id)["large"] == LARGE


@pytest.mark.postgres_only
def test_pooled_connections_are_left_in_transaction_mode(env: Env) -> None:
    # The boundary statement runs in autocommit on a pooled connection, which is then
    # given back as it was: the next unit of work on it can still roll back.
    env.start(env.workflow(linear(3)))
    env.drain()
    idle = cast(QueuePool, env.db.engine.pool).checkedin()
    held = [env.db.engine.raw_connection() for _ in range(idle)]
    try:
        assert held
        for raw in held:
            assert raw.driver_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        for raw in held:
            raw.close()


@pytest.mark.postgres_only
def test_a_boundary_renews_a_lease_once_half_of_it_has_run_out(env: Env) -> None:
    # Claimed for 0.1 s, the runner's lease is 5 s: its first boundary renews it; the next
    # one, well within the renewed lease, leaves it (a HOT update on PostgreSQL).
    wf = linear(2)
    wf["agents"][1]["config"]["handler"] = "blocker"
    ex = env.start(env.workflow(wf))
    assert claims.claim(env.db, "A", limit=1, lease_seconds=0.1) == [(ex.id, env.tenant_id)]
    leases: list[Any] = []

    def lease() -> Any:
        with UnitOfWork(env.db, read_only=True) as uow:
            return uow.session.scalar(
                select(Execution.lease_expires_at).where(Execution.id == ex.id)
            )

    claimed = lease()
    step_started = threading.Event()

    def on(event: Event) -> None:
        if event.event_type == "step_started":
            leases.append(lease())
            if event.payload.get("step") == 2:
                step_started.set()

    env.engine.bus.subscribe(on)
    runner = Runner(env.engine.deps, env.tenant_id, ex.id, "A")
    thread = threading.Thread(target=lambda: asyncio.run(runner.run()))
    thread.start()
    try:
        assert step_started.wait(30)
    finally:
        agents.gate.set()
        thread.join(30)
    assert (leases[0] - claimed).total_seconds() > 4
    assert leases[1] == leases[0]
