"""Each failure type is recorded with a root cause and a concrete fix, end to end."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from omium.schemas.executions import Failure as FailureOut
from omium.store.models import Failure
from omium.store.uow import UnitOfWork
from tests.engine.conftest import LOAN, Env


def failures(env: Env, execution_id: Any) -> list[FailureOut]:
    return env.recovery.list_failures(env.tenant_id, execution_id=execution_id)[0]


def stack_trace(env: Env, failure_id: Any) -> str | None:
    with UnitOfWork(env.db) as uow:
        return uow.session.scalar(select(Failure.stack_trace).where(Failure.id == failure_id))


def one_step(config: dict[str, Any], **step: Any) -> dict[str, Any]:
    return {
        "agents": [{"id": "offer_agent", "config": config}],
        "flow": [{"step": 1, "agent": "offer_agent", **step}],
        "policies": {"max_retries": 0, "backoff_base_ms": 1},
    }


def test_out_of_range_apr_is_a_hallucination_with_the_constraint_as_fix(env: Env) -> None:
    wf = copy.deepcopy(LOAN)
    wf["agents"][2]["config"]["checkpoints"] = [
        {"name": "offer_valid", "postconditions": ["offer.apr >= 0.025 && offer.apr <= 0.085"]}
    ]
    ex = env.run(wf, customer_data={"name": "Ada"})
    assert ex.status == "failed"
    [f] = failures(env, ex.id)
    assert f.failure_type == "hallucination" and f.severity == "high"
    assert f.suggested_fix == (
        "Add the constraint 0.025 <= offer.apr <= 0.085 to the offer agent's prompt"
    )
    assert "offer.apr = 0.0" in f.root_cause
    assert "offer.apr >= 0.025 && offer.apr <= 0.085" in f.error_message
    assert f.recovery_status == "failed"
    assert ex.error is not None and "offer.apr" in ex.error


def test_missing_field_postcondition_is_a_validation_error(env: Env) -> None:
    ex = env.run(
        one_step(
            {
                "handler": "offer_agent",
                "checkpoints": [{"name": "c", "postconditions": ["has(offer.term_months)"]}],
            },
            outputs=["offer"],
        )
    )
    [f] = failures(env, ex.id)
    assert f.failure_type == "validation_error"
    assert "has(offer.term_months)" in f.error_message
    assert "offer agent" in (f.suggested_fix or "")


def test_failing_precondition_names_expression_values_and_producer(env: Env) -> None:
    ex = env.run(
        one_step(
            {
                "handler": "noop",
                "checkpoints": [{"name": "c", "preconditions": ["document.type != null"]}],
            },
            inputs=["document"],
        ),
        document={"type": None},
    )
    assert ex.status == "failed"
    [f] = failures(env, ex.id)
    assert f.failure_type == "validation_error" and f.severity == "medium"
    assert "`document.type != null` is false" in f.error_message
    assert "document.type = None" in f.error_message
    assert "input_params" in (f.suggested_fix or "")


def test_missing_declared_output_is_a_validation_error(env: Env) -> None:
    ex = env.run(one_step({"handler": "noop"}, outputs=["offer"]))
    [f] = failures(env, ex.id)
    assert f.failure_type == "validation_error"
    assert f.suggested_fix == (
        "Return offer from the offer agent, or remove it from step 1's outputs"
    )


def test_exception_is_a_tool_invocation_failure_with_its_location(env: Env) -> None:
    ex = env.run(one_step({"handler": "flaky"}))
    [f] = failures(env, ex.id)
    assert f.failure_type == "tool_invocation" and f.severity == "high"
    assert "ConnectionError" in f.error_message and "upstream reset" in f.error_message
    assert "in flaky (agents.py:" in (f.root_cause or "")
    trace = stack_trace(env, f.id)
    assert trace and "ConnectionError" in trace


def test_timeout_is_recorded_with_the_limit(env: Env) -> None:
    ex = env.run(
        one_step(
            {
                "handler": "noop",
                "recovery_policies": {"timeout_ms": 50},
                "faults": [{"kind": "timeout", "attempts": [1]}],
            }
        )
    )
    [f] = failures(env, ex.id)
    assert f.failure_type == "timeout" and f.severity == "medium"
    assert "50 ms" in f.error_message
    assert "timeout_ms" in (f.suggested_fix or "")


def test_unregistered_handler_fails_without_importing_anything(env: Env) -> None:
    ex = env.run(one_step({"handler": "os.system"}))
    assert ex.status == "failed"
    [f] = failures(env, ex.id)
    assert f.failure_type == "tool_invocation"
    assert "no agent is registered under the name 'os.system'" in f.error_message
    assert "OMIUM_AGENT_MODULES" in (f.suggested_fix or "")


def test_corrupted_checkpoint_on_takeover_is_a_state_sync_failure(env: Env) -> None:
    from omium.store.models import Checkpoint, Execution

    wf = env.workflow(one_step({"handler": "noop"}))
    ex = env.start(wf)
    env.drain()
    with UnitOfWork(env.db) as uow:
        # Simulate damage and a worker that must restore from it.
        cp = uow.session.scalars(
            select(Checkpoint)
            .where(Checkpoint.execution_id == ex.id)
            .order_by(Checkpoint.checkpoint_index.desc())
        ).first()
        assert cp is not None
        cp.checksum = "0" * 64
        row = uow.session.get(Execution, ex.id)
        assert row is not None
        row.status = "running"
        row.lease_owner = None
        uow.commit()
    env.drain()
    got = env.executions.get(env.tenant_id, ex.id)
    assert got.status == "failed"
    types = [f.failure_type for f in failures(env, ex.id)]
    assert types == ["state_sync"]
