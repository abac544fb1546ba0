"""End to end through the engine: a run, its records, its events."""

from __future__ import annotations

from sqlalchemy import select

from omium.store.models import Checkpoint, ExecutionEvent, ExecutionMetrics, StepAttempt
from omium.store.uow import UnitOfWork
from tests.engine.conftest import LOAN, Env, linear


def test_loan_workflow_completes_with_true_records(env: Env) -> None:
    seen: list[str] = []
    env.engine.bus.subscribe(lambda e: seen.append(e.event_type))
    ex = env.run(LOAN, customer_data={"name": "Ada"})
    assert ex.status == "completed", ex.error
    assert ex.output == {"offer": {"apr": 0.0, "amount": 1000}}
    assert ex.result is not None and ex.result["credit_score"] == 700
    assert [a.status for a in ex.agents] == ["completed"] * 3
    assert ex.progress.percentage == 100.0
    with UnitOfWork(env.db) as uow:
        names = list(
            uow.session.scalars(
                select(Checkpoint.checkpoint_name)
                .where(Checkpoint.execution_id == ex.id)
                .order_by(Checkpoint.checkpoint_index)
            )
        )
        assert names == [
            "kyc_agent_start",
            "kyc_validated",
            "kyc_agent_complete",
            "credit_agent_start",
            "credit_agent_complete",
            "offer_agent_start",
            "offer_agent_complete",
        ]
        assert ex.checkpoint_count == 7
        assert ex.last_successful_checkpoint == "offer_agent_complete"
        events = list(
            uow.session.scalars(
                select(ExecutionEvent.event_type)
                .where(ExecutionEvent.execution_id == ex.id)
                .order_by(ExecutionEvent.id)
            )
        )
        assert events[0] == "execution_queued" and events[1] == "execution_started"
        assert events[-1] == "execution_completed"
        assert events.count("checkpoint_created") == 7
        assert events.count("step_started") == 3
        metrics = uow.session.scalars(
            select(ExecutionMetrics).where(ExecutionMetrics.execution_id == ex.id)
        ).one()
        assert metrics.checkpoint_count == 7 and metrics.failure_count == 0
        attempts = list(
            uow.session.scalars(select(StepAttempt).where(StepAttempt.execution_id == ex.id))
        )
        assert sorted(a.status for a in attempts) == ["completed"] * 3
    assert seen.count("checkpoint_created") == 7 and "execution_completed" in seen


def test_parallel_steps_merge_their_outputs(env: Env) -> None:
    definition = {
        "agents": [
            {"id": "root", "config": {"handler": "counter"}},
            {"id": "left", "config": {"handler": "counter"}},
            {"id": "right", "config": {"handler": "counter"}},
            {"id": "join", "config": {"handler": "counter"}},
        ],
        "flow": [
            {"step": 1, "agent": "root", "inputs": ["n"], "outputs": ["s1"]},
            {
                "step": 2,
                "agent": "left",
                "inputs": ["n", "s1"],
                "outputs": ["s2"],
                "depends_on": [1],
            },
            {
                "step": 3,
                "agent": "right",
                "inputs": ["n", "s1"],
                "outputs": ["s3"],
                "depends_on": [1],
            },
            {
                "step": 4,
                "agent": "join",
                "inputs": ["n", "s2", "s3"],
                "outputs": ["s4"],
                "depends_on": [2, 3],
            },
        ],
    }
    ex = env.run(definition, n=10)
    assert ex.status == "completed", ex.error
    assert ex.result == {"n": 10, "s1": 11, "s2": 12, "s3": 13, "s4": 14}
    assert ex.output == {"s4": 14}


def test_ten_step_linear_workflow(env: Env) -> None:
    ex = env.run(linear(10))
    assert ex.status == "completed", ex.error
    assert ex.checkpoint_count == 20


def test_checkpoints_hold_the_state_even_when_an_agent_changes_an_input_in_place(
    env: Env,
) -> None:
    # The runner tells the checkpoint service which keys changed only between two
    # checkpoints of one boundary; an in-place change made by an agent must still reach the
    # next checkpoint, and every checkpoint must hold the state the runner went on with.
    definition = {
        "agents": [{"id": f"a{i}", "config": {"handler": "appender"}} for i in (1, 2, 3)],
        "flow": [
            {"step": i, "agent": f"a{i}", "depends_on": [i - 1] if i > 1 else []} for i in (1, 2, 3)
        ],
    }
    ex = env.run(definition, log=[])
    assert ex.status == "completed", ex.error
    assert ex.result == {"log": [1, 2, 3], "seen_1": 1, "seen_2": 2, "seen_3": 3}
    with UnitOfWork(env.db, read_only=True) as uow:
        rows = list(
            uow.session.scalars(
                select(Checkpoint)
                .where(Checkpoint.execution_id == ex.id)
                .order_by(Checkpoint.checkpoint_index)
            )
        )
        states = {
            r.checkpoint_name: env.engine.deps.checkpoints.get_state(uow, env.tenant_id, r)
            for r in rows
        }
    assert states["a1_start"]["log"] == []
    assert states["a1_complete"]["log"] == [1]
    assert states["a2_start"]["log"] == [1]
    assert states["a2_complete"]["log"] == [1, 2]
    assert states["a3_start"] == {"log": [1, 2], "seen_1": 1, "seen_2": 2}
    assert states["a3_complete"] == ex.result
