"""Each recovery policy, end to end through the engine."""

from __future__ import annotations

import copy
import random
from typing import Any

from sqlalchemy import select

from omium.domain.recovery import backoff_delay
from omium.schemas.executions import RecoverRequest
from omium.store.models import Agent, Checkpoint, Rollback
from omium.store.uow import UnitOfWork
from tests.engine import agents
from tests.engine.conftest import LOAN, Env


def one_step(config: dict[str, Any], **policies: Any) -> dict[str, Any]:
    return {
        "agents": [{"id": "a1", "config": config}],
        "flow": [{"step": 1, "agent": "a1"}],
        "policies": {"backoff_base_ms": 1, "backoff_max_ms": 5, **policies},
    }


def actions(env: Env, execution_id: Any) -> list[Any]:
    return env.recovery.list_actions(env.tenant_id, execution_id)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    rng = random.Random(7)
    no_jitter = [backoff_delay(n, 100, 1000, 0.0) for n in range(1, 6)]
    assert no_jitter == [0.1, 0.2, 0.4, 0.8, 1.0]
    jittered = [backoff_delay(3, 100, 1000, 0.5, rng) for _ in range(50)]
    assert all(0.2 <= d <= 0.4 for d in jittered)
    assert len(set(jittered)) > 1


def test_transient_failure_is_retried_until_it_succeeds(env: Env) -> None:
    ex = env.run(one_step({"handler": "flaky"}, max_retries=3))
    assert ex.status == "completed", ex.error
    assert ex.result == {"value": 3}
    assert ex.retry_count == 2
    acts = actions(env, ex.id)
    assert [a.action_type for a in acts] == ["retry", "retry"]
    assert [(a.status, a.success) for a in acts] == [("failed", False), ("completed", True)]
    assert [a.action_config["next_attempt"] for a in acts] == [2, 3]
    fs, _ = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)
    assert [f.recovery_status for f in fs] == ["failed", "resolved"]


def test_max_retries_stops_retrying(env: Env) -> None:
    ex = env.run(one_step({"handler": "flaky"}, max_retries=1))
    assert ex.status == "failed"
    assert ex.retry_count == 1
    assert "max_retries (1) exhausted" in (ex.error or "")


def test_retry_budget_stops_a_runaway_loop(env: Env) -> None:
    ex = env.run(one_step({"handler": "flaky"}, max_retries=10, retry_budget=1))
    assert ex.status == "failed"
    assert "retry budget" in (ex.error or "")
    assert ex.retry_count == 1


def test_fail_policy_fails_at_once(env: Env) -> None:
    ex = env.run(one_step({"handler": "flaky"}, on_failure="fail"))
    assert ex.status == "failed" and ex.retry_count == 0
    assert actions(env, ex.id) == []


def test_rollback_policy_restores_the_start_checkpoint_and_retries(env: Env) -> None:
    ex = env.run(
        one_step(
            {
                "handler": "noop",
                "recovery_policies": {"on_failure": "rollback"},
                "faults": [{"kind": "raise", "attempts": [1]}],
            }
        )
    )
    assert ex.status == "completed", ex.error
    with UnitOfWork(env.db) as uow:
        rb = uow.session.scalars(select(Rollback).where(Rollback.execution_id == ex.id)).one()
        to = uow.session.get(Checkpoint, rb.to_checkpoint_id)
        assert to is not None and to.checkpoint_name == "a1_start"
        assert (rb.trigger_type, rb.status, rb.rollback_success) == ("policy", "completed", True)
    [act] = actions(env, ex.id)
    assert (act.action_type, act.status, act.success) == ("rollback", "completed", True)


def test_prompt_edit_adds_the_constraint_and_the_retry_succeeds(env: Env) -> None:
    wf = copy.deepcopy(LOAN)
    wf["agents"][2]["config"]["checkpoints"] = [
        {"name": "offer_valid", "postconditions": ["offer.apr >= 0.025 && offer.apr <= 0.085"]}
    ]
    wf["agents"][2]["config"]["recovery_policies"] = {"on": {"hallucination": "prompt_edit"}}
    ex = env.run(wf, customer_data={"name": "Ada"})
    assert ex.status == "completed", ex.error
    assert ex.output == {"offer": {"apr": 0.05, "amount": 1000}}
    [act] = actions(env, ex.id)
    assert act.action_type == "prompt_edit" and act.success is True
    assert act.action_config["old_prompt"] == "Generate offer terms."
    assert "0.025 <= offer.apr <= 0.085" in act.action_config["new_prompt"]
    assert (
        ex.metadata["agent_overrides"]["offer_agent"]["prompt"] == act.action_config["new_prompt"]
    )
    with UnitOfWork(env.db) as uow:
        cfg = uow.session.scalar(
            select(Agent.config).where(Agent.execution_id == ex.id, Agent.name == "offer_agent")
        )
        assert cfg["prompt"] == act.action_config["new_prompt"]
    assert agents.calls.count(("offer_agent", 2)) == 1


def test_manual_intervention_pauses_until_a_person_recovers(env: Env) -> None:
    ex = env.run(
        one_step(
            {
                "handler": "noop",
                "recovery_policies": {"on_failure": "manual_intervention"},
                "faults": [{"kind": "raise", "attempts": [1]}],
            }
        )
    )
    assert ex.status == "paused"
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert (f.recovery_action, f.recovery_status) == ("manual_intervention", "pending")
    [pending] = actions(env, ex.id)
    assert pending.status == "pending"
    env.drain()  # a paused execution is not claimed
    assert env.executions.get(env.tenant_id, ex.id).status == "paused"
    act = env.recovery.recover_failure(env.tenant_id, f.id, RecoverRequest(action_type="retry"))
    assert act.status == "in_progress"
    env.drain()
    done = env.executions.get(env.tenant_id, ex.id)
    assert done.status == "completed", done.error
    acts = actions(env, ex.id)
    assert [(a.action_type, a.status, a.success) for a in acts] == [
        ("manual_intervention", "completed", True),
        ("retry", "completed", True),
    ]
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.recovery_status == "resolved"


def test_manual_prompt_edit_recovers_a_hallucination(env: Env) -> None:
    wf = copy.deepcopy(LOAN)
    wf["agents"][2]["config"]["checkpoints"] = [
        {"name": "offer_valid", "postconditions": ["offer.apr >= 0.025 && offer.apr <= 0.085"]}
    ]
    wf["agents"][2]["config"]["recovery_policies"] = {"on_failure": "escalate"}
    ex = env.run(wf, customer_data={"name": "Ada"})
    assert ex.status == "paused"
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.failure_type == "hallucination"
    env.recovery.recover_failure(
        env.tenant_id,
        f.id,
        RecoverRequest(
            action_type="prompt_edit",
            action_config={"new_prompt": "Generate offer terms. APR must be 0.025-0.085."},
        ),
    )
    env.drain()
    done = env.executions.get(env.tenant_id, ex.id)
    assert done.status == "completed", done.error
    assert done.output == {"offer": {"apr": 0.05, "amount": 1000}}
    # kyc and credit ran once: the retry started from offer_agent's checkpoint.
    assert agents.calls.count(("kyc_agent", 1)) == 1
    assert [c for c in agents.calls if c[0] == "credit_agent"] == [("credit_agent", 1)]
