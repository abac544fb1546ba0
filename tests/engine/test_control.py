"""Pause, resume, cancel, rollback and the illegal transitions, through the engine."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select, update

from omium.domain.transitions import ALLOWED, Action, can_transition, check_transition
from omium.engine.events import Event
from omium.errors import ConflictError, ErrorCode
from omium.store.models import Checkpoint, Execution, Rollback, StepAttempt, Tenant
from omium.store.uow import UnitOfWork
from omium.types import ExecutionStatus
from tests.engine import agents
from tests.engine.conftest import Env, linear


def three_steps(first: str = "blocker") -> dict[str, Any]:
    wf = linear(3)
    wf["agents"][0]["config"]["handler"] = first
    return wf


@contextmanager
def worker_thread(env: Env, **overrides: Any) -> Iterator[None]:
    worker = env.engine.worker(poll_seconds=0.05, **overrides)
    thread = threading.Thread(target=lambda: asyncio.run(worker.run()), daemon=True)
    thread.start()
    try:
        yield
    finally:
        agents.gate.set()
        while worker._loop is None:
            time.sleep(0.01)
        worker.request_stop()
        thread.join(30)
        assert not thread.is_alive()


def wait_for(env: Env, event_type: str, count: int = 1, **match: Any) -> threading.Event:
    seen: list[Event] = []
    done = threading.Event()

    def on(e: Event) -> None:
        if e.event_type == event_type and all(e.payload.get(k) == v for k, v in match.items()):
            seen.append(e)
            if len(seen) >= count:
                done.set()

    env.engine.bus.subscribe(on)
    return done


def test_transition_table_is_the_only_authority() -> None:
    assert not ALLOWED[ExecutionStatus.COMPLETED] and not ALLOWED[ExecutionStatus.CANCELLED]
    assert can_transition("paused", "running") and not can_transition("completed", "running")
    with pytest.raises(ConflictError) as e:
        check_transition("running", Action.RESUME)
    assert e.value.code == ErrorCode.EXECUTION_ALREADY_RUNNING
    with pytest.raises(ConflictError) as e:
        check_transition("completed", Action.PAUSE)
    assert e.value.code == ErrorCode.EXECUTION_CANNOT_PAUSE
    with pytest.raises(ConflictError) as e:
        check_transition("cancelled", Action.ROLLBACK)
    assert e.value.code == ErrorCode.ROLLBACK_FAILED
    with pytest.raises(ConflictError) as e:
        check_transition("completed", Action.CANCEL)
    assert e.value.code == ErrorCode.RESOURCE_CONFLICT


def test_illegal_transitions_through_the_services(env: Env) -> None:
    ex = env.run(linear(1))
    assert ex.status == "completed"
    with pytest.raises(ConflictError) as e:
        env.executions.pause(env.tenant_id, ex.id)
    assert e.value.code == ErrorCode.EXECUTION_CANNOT_PAUSE
    with pytest.raises(ConflictError) as e:
        env.executions.cancel(env.tenant_id, ex.id)
    assert e.value.code == ErrorCode.RESOURCE_CONFLICT
    with pytest.raises(ConflictError):
        env.executions.resume(env.tenant_id, ex.id)
    running = env.start(env.workflow(linear(1)))
    with UnitOfWork(env.db) as uow:
        uow.session.execute(
            update(Execution).where(Execution.id == running.id).values(status="running")
        )
        uow.commit()
    with pytest.raises(ConflictError) as e:
        env.executions.resume(env.tenant_id, running.id)
    assert e.value.code == ErrorCode.EXECUTION_ALREADY_RUNNING


def test_pause_pending_then_resume(env: Env) -> None:
    ex = env.start(env.workflow(linear(2)))
    assert env.executions.pause(env.tenant_id, ex.id).status == "paused"
    env.drain()
    assert env.executions.get(env.tenant_id, ex.id).status == "paused"
    assert env.executions.resume(env.tenant_id, ex.id).status == "running"
    env.drain()
    assert env.executions.get(env.tenant_id, ex.id).status == "completed"


def test_pause_takes_effect_at_the_next_step_boundary(env: Env) -> None:
    ex = env.start(env.workflow(three_steps()))
    started = wait_for(env, "step_started", step=1)
    boundary = wait_for(env, "step_completed", step=1)
    with worker_thread(env):
        assert started.wait(30)
        paused = env.executions.pause(env.tenant_id, ex.id)
        assert paused.status == "paused"
        agents.gate.set()
        assert boundary.wait(30)
    got = env.executions.get(env.tenant_id, ex.id)
    assert got.status == "paused"
    assert [a.status for a in got.agents] == ["completed", "pending", "pending"]
    assert got.last_successful_checkpoint == "a1_complete"
    env.executions.resume(env.tenant_id, ex.id)
    env.drain()
    assert env.executions.get(env.tenant_id, ex.id).status == "completed"


def test_cancel_interrupts_the_running_agent(env: Env) -> None:
    ex = env.start(env.workflow(three_steps()))
    started = wait_for(env, "step_started", step=1)
    with worker_thread(env):
        assert started.wait(30)
        cancelled = env.executions.cancel(env.tenant_id, ex.id)
        assert cancelled.status == "cancelled"
    got = env.executions.get(env.tenant_id, ex.id)
    assert got.status == "cancelled"
    assert got.agents[0].status == "failed" and got.agents[0].error == "cancelled"
    with UnitOfWork(env.db) as uow:
        statuses = list(
            uow.session.scalars(select(StepAttempt.status).where(StepAttempt.execution_id == ex.id))
        )
        names = list(
            uow.session.scalars(
                select(Checkpoint.checkpoint_name).where(Checkpoint.execution_id == ex.id)
            )
        )
    assert statuses == ["cancelled"]
    assert names == ["a1_start"]  # nothing after the cancel was committed


def test_rollback_supersedes_later_checkpoints_and_resume_reruns(env: Env) -> None:
    wf = linear(3)
    wf["agents"][2]["config"] = {"handler": "noop", "faults": [{"kind": "raise", "attempts": [1]}]}
    wf["policies"] = {"on_failure": "fail"}
    ex = env.run(wf)
    assert ex.status == "failed"
    with UnitOfWork(env.db) as uow:
        target = uow.session.scalars(
            select(Checkpoint).where(
                Checkpoint.execution_id == ex.id, Checkpoint.checkpoint_name == "a1_complete"
            )
        ).one()
        target_id = target.id
    rolled = env.executions.rollback_to_checkpoint(env.tenant_id, target_id, reason="bad offer")
    assert rolled.status == "rolled_back"
    assert rolled.current_checkpoint == "a1_complete"
    assert [a.status for a in rolled.agents] == ["completed", "rolled_back", "rolled_back"]
    env.drain()  # rolled_back waits for a resume
    assert env.executions.get(env.tenant_id, ex.id).status == "rolled_back"
    env.executions.resume(env.tenant_id, ex.id)
    env.drain()
    done = env.executions.get(env.tenant_id, ex.id)
    assert done.status == "completed", done.error
    with UnitOfWork(env.db) as uow:
        rows = uow.session.execute(
            select(Checkpoint.checkpoint_name, Checkpoint.superseded_at)
            .where(Checkpoint.execution_id == ex.id)
            .order_by(Checkpoint.checkpoint_index)
        ).all()
        rb = uow.session.scalars(select(Rollback).where(Rollback.execution_id == ex.id)).one()
        assert (rb.trigger_type, rb.trigger_reason, rb.status) == (
            "manual",
            "bad offer",
            "completed",
        )
    live = [n for n, sup in rows if sup is None]
    superseded = [n for n, sup in rows if sup is not None]
    assert superseded == ["a2_start", "a2_complete", "a3_start"]
    assert live == ["a1_start", "a1_complete", "a2_start", "a2_complete", "a3_start", "a3_complete"]
    assert done.checkpoint_count == len(rows)


def test_resume_from_a_named_checkpoint(env: Env) -> None:
    ex = env.start(env.workflow(linear(3)))
    env.executions.pause(env.tenant_id, ex.id)
    env.executions.resume(env.tenant_id, ex.id)
    env.drain()
    # Completed executions are terminal; a paused one can be resumed from a named checkpoint.
    wf = three_steps()
    ex2 = env.start(env.workflow(wf))
    boundary = wait_for(env, "step_completed", step=1)
    started = wait_for(env, "step_started", step=1)
    with worker_thread(env):
        assert started.wait(30)
        env.executions.pause(env.tenant_id, ex2.id)
        agents.gate.set()
        assert boundary.wait(30)
    resumed = env.executions.resume(env.tenant_id, ex2.id, checkpoint_name="a1_start")
    assert resumed.status == "running" and resumed.current_checkpoint == "a1_start"
    env.drain()
    done = env.executions.get(env.tenant_id, ex2.id)
    assert done.status == "completed"
    assert agents.calls.count(("blocker", 2)) == 1  # step 1 ran again from its checkpoint


def test_tenant_concurrency_limit_holds_across_workers(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        uow.session.execute(
            update(Tenant).where(Tenant.id == env.tenant_id).values(max_concurrent_executions=2)
        )
        uow.commit()
    wf = env.workflow(three_steps())
    ids = [env.start(wf).id for _ in range(5)]
    two_started = wait_for(env, "step_started", count=2, step=1)
    done = wait_for(env, "execution_completed", count=5)
    with worker_thread(env, worker_id="w1"), worker_thread(env, worker_id="w2"):
        assert two_started.wait(30)
        time.sleep(0.5)  # many claim rounds of both workers
        statuses = [env.executions.get(env.tenant_id, i).status for i in ids]
        assert sorted(statuses) == ["pending"] * 3 + ["running"] * 2
        assert env.executions.count_running(env.tenant_id) == 2
        agents.gate.set()
        assert done.wait(60)
    assert all(env.executions.get(env.tenant_id, i).status == "completed" for i in ids)


def test_new_version_does_not_change_running_executions(env: Env) -> None:
    wf = env.workflow(linear(2))
    old = env.start(wf)
    env.workflows.publish_version(env.tenant_id, wf, linear(4))
    new = env.start(wf)
    env.drain()
    a = env.executions.get(env.tenant_id, old.id)
    b = env.executions.get(env.tenant_id, new.id)
    assert (a.workflow_version, len(a.agents), a.status) == (1, 2, "completed")
    assert (b.workflow_version, len(b.agents), b.status) == (2, 4, "completed")
