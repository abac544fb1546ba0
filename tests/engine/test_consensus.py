"""Steps with consensus_required hand their state to their successors' agents.

One workflow shape, three endings: the handoff is accepted; a receiver's precondition rejects
it (consensus_violation, then the retry policy runs the step again and the new state is
accepted); nobody acks in time (consensus_violation, the policy fails the execution).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from omium.schemas.consensus import ConsensusOutcome
from omium.services.consensus import ConsensusService
from omium.store.models import Agent, Checkpoint
from omium.store.uow import UnitOfWork
from tests.engine.conftest import Env


def handoff_workflow(
    kyc_config: dict[str, Any] | None = None,
    credit_config: dict[str, Any] | None = None,
    **policies: Any,
) -> dict[str, Any]:
    return {
        "agents": [
            {"id": "kyc_agent", "config": kyc_config or {}},
            {
                "id": "credit_agent",
                "config": {
                    "checkpoints": [
                        {"name": "credit_in", "preconditions": ["kyc_verified == true"]}
                    ],
                    **(credit_config or {}),
                },
            },
        ],
        "flow": [
            {
                "step": 1,
                "agent": "kyc_agent",
                "inputs": ["customer_data"],
                "outputs": ["kyc_verified", "kyc_score"],
                "checkpoints": ["kyc_validated"],
                "consensus_required": True,
            },
            {
                "step": 2,
                "agent": "credit_agent",
                "inputs": ["kyc_verified", "kyc_score"],
                "outputs": ["credit_score"],
                "depends_on": [1],
            },
        ],
        "policies": {"backoff_base_ms": 1, "backoff_max_ms": 5, **policies},
    }


def checkpoints(env: Env, execution_id: uuid.UUID) -> list[tuple[str, bool]]:
    with UnitOfWork(env.db, read_only=True) as uow:
        rows = uow.session.scalars(
            select(Checkpoint)
            .where(Checkpoint.execution_id == execution_id)
            .order_by(Checkpoint.checkpoint_index)
        )
        return [(row.checkpoint_name, row.superseded_at is None) for row in rows]


def agent_rows(env: Env, execution_id: uuid.UUID) -> dict[str, uuid.UUID]:
    with UnitOfWork(env.db, read_only=True) as uow:
        rows = uow.session.scalars(select(Agent).where(Agent.execution_id == execution_id))
        return {row.name: row.id for row in rows}


def test_an_accepted_handoff_lets_the_successor_start(env: Env) -> None:
    ex = env.run(handoff_workflow(), customer_data={"name": "Ada"})
    assert ex.status == "completed", ex.error
    assert ex.result is not None and ex.result["credit_score"] == 700
    status = ConsensusService(env.db).status(env.tenant_id, ex.id)
    agents = agent_rows(env, ex.id)
    [entry] = status.logs
    assert entry.outcome is ConsensusOutcome.REACHED
    assert entry.sender_agent_id == agents["kyc_agent"]
    assert entry.receiver_agent_ids == [agents["credit_agent"]]
    assert entry.message["state"]["kyc_verified"] is True
    assert entry.message["step"] == 1
    assert (status.current_term, status.leader_agent_id) == (1, agents["kyc_agent"])
    # The successor's start checkpoint comes after the sender's, and after consensus.
    names = [name for name, _ in checkpoints(env, ex.id)]
    assert names.index("credit_agent_start") > names.index("kyc_agent_complete")


def test_a_rejected_handoff_is_a_consensus_violation_and_the_policy_recovers(env: Env) -> None:
    # The first kyc attempt hands over kyc_verified=false: credit's precondition rejects it.
    kyc = {
        "faults": [{"kind": "output", "attempts": [1], "output": {"kyc_verified": False}}],
        "recovery_policies": {"on": {"consensus_violation": "retry"}, "max_retries": 2},
    }
    ex = env.run(handoff_workflow(kyc), customer_data={"name": "Ada"})
    assert ex.status == "completed", ex.error
    assert ex.result is not None and ex.result["credit_score"] == 700

    failures, _ = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)
    [failure] = failures
    assert failure.failure_type == "consensus_violation"
    assert "rejected by credit_agent (step 2)" in failure.error_message
    assert "kyc_verified == true" in failure.error_message
    assert failure.recovery_action == "retry"
    assert [a.action_type for a in env.recovery.list_actions(env.tenant_id, ex.id)] == ["retry"]

    logs = ConsensusService(env.db).status(env.tenant_id, ex.id).logs
    assert [(e.term, e.outcome) for e in logs] == [
        (1, ConsensusOutcome.REJECTED),
        (2, ConsensusOutcome.REACHED),
    ]
    # The rejected result left the live line (kept, superseded); the accepted one is live.
    history = checkpoints(env, ex.id)
    assert history.count(("kyc_agent_complete", False)) == 1
    assert history.count(("kyc_agent_complete", True)) == 1
    assert history.count(("kyc_validated", False)) == 1
    assert ("credit_agent_start", True) in history


def test_a_handoff_nobody_acks_times_out_and_fails_by_policy(env: Env) -> None:
    # credit_agent acks handoffs itself (external) and never does: the deadline passes.
    definition = handoff_workflow(
        {"recovery_policies": {"on": {"consensus_violation": "fail"}}},
        {"consensus_ack": "external"},
        consensus={"timeout_ms": 300},
    )
    ex = env.run(definition, customer_data={"name": "Ada"})
    assert ex.status == "failed"
    assert "did not reach consensus" in (ex.error or "")
    assert "timed out with 0/1 acks" in (ex.error or "")
    failures, _ = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)
    assert [f.failure_type for f in failures] == ["consensus_violation"]
    [entry] = ConsensusService(env.db).status(env.tenant_id, ex.id).logs
    assert entry.outcome is ConsensusOutcome.EXPIRED
    # The successor never started.
    assert "credit_agent_start" not in [name for name, _ in checkpoints(env, ex.id)]


def fan_out(step_consensus: dict[str, Any] | None) -> dict[str, Any]:
    first: dict[str, Any] = {"step": 1, "agent": "a0", "consensus_required": True}
    if step_consensus is not None:
        first["consensus"] = step_consensus
    return {
        "agents": [{"id": f"a{i}", "config": {"handler": "noop"}} for i in range(4)],
        "flow": [first] + [{"step": i, "agent": f"a{i - 1}", "depends_on": [1]} for i in (2, 3, 4)],
    }


def test_acks_required_is_a_majority_of_the_successors_unless_the_step_says_all(
    env: Env,
) -> None:
    for step_consensus, required in ((None, 2), ({"acks_required": "all"}, 3)):
        ex = env.run(fan_out(step_consensus))
        assert ex.status == "completed", ex.error
        [entry] = ConsensusService(env.db).status(env.tenant_id, ex.id).logs
        assert (len(entry.receiver_agent_ids), entry.acks_required) == (3, required)
        assert entry.acks_received == 3
