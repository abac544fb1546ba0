"""The runner's consensus hook: steps with ``consensus_required: true`` hand their state over.

After such a step's checkpoints are committed, its agent broadcasts the state to the agents of
the steps that depend on it (see :mod:`omium.services.handoff`). Each receiver checks the
state with its own preconditions and acks valid or invalid; an agent whose config says
``consensus_ack: external`` acks by itself (gRPC ``AcknowledgeMessage`` or the SDK). The
successors start only once consensus is reached; a rejection or the deadline is a
``consensus_violation`` that the recovery policies handle like any other failure.

The policy comes from the step's ``consensus`` key, else from ``policies.consensus``:
``{"acks_required": "majority" | "all", "timeout_ms": 30000}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update

from omium.clock import utcnow
from omium.conditions.cel import evaluate_all
from omium.domain import failures as fx
from omium.domain.workflow import AgentSpec, FlowStep, WorkflowDefinition
from omium.engine.runner import HandoffContext
from omium.schemas.consensus import AckPolicy
from omium.services.consensus import ConsensusService
from omium.services.handoff import HandoffCoordinator, Receiver, Validator
from omium.store.models import Checkpoint
from omium.store.uow import UnitOfWork

DEFAULT_TIMEOUT_MS = 30_000
EXTERNAL = "external"


def consensus_policy(definition: WorkflowDefinition, step: FlowStep) -> tuple[AckPolicy, float]:
    """The step's ack policy and deadline (seconds): the step's own, else the workflow's."""
    raw = (step.model_extra or {}).get("consensus") or (definition.policies.model_extra or {}).get(
        "consensus"
    )
    policy: dict[str, Any] = raw if isinstance(raw, dict) else {}
    acks = AckPolicy(str(policy.get("acks_required", AckPolicy.MAJORITY.value)))
    timeout_ms = float(policy.get("timeout_ms", DEFAULT_TIMEOUT_MS))
    return acks, timeout_ms / 1000


def acks_externally(agent: AgentSpec) -> bool:
    """Whether the agent acks handoffs itself instead of the engine checking for it."""
    return (agent.config.model_extra or {}).get("consensus_ack") == EXTERNAL


def precondition_validator(agent: AgentSpec) -> Validator:
    """The receiver's check: its preconditions must hold on the handed-over state."""
    preconditions = agent.config.preconditions

    async def validate(state: dict[str, Any]) -> str | None:
        failure = evaluate_all(preconditions, state) if preconditions else None
        return None if failure is None else failure.describe()

    return validate


class ConsensusHandoff:
    """The :data:`omium.engine.runner.HandoffHook` backed by the consensus service."""

    def __init__(self, consensus: ConsensusService, *, poll_interval: float = 0.05) -> None:
        self.coordinator = HandoffCoordinator(consensus, poll_interval=poll_interval)

    async def __call__(self, ctx: HandoffContext) -> fx.Classified | None:
        acks, deadline = consensus_policy(ctx.definition, ctx.step)
        receivers = []
        for successor in ctx.successors:
            agent = ctx.definition.agent_of(successor)
            receivers.append(
                Receiver(
                    agent_id=ctx.receiver_agent_ids[successor.step],
                    name=f"{agent.id} (step {successor.step})",
                    validate=None if acks_externally(agent) else precondition_validator(agent),
                )
            )
        result = await self.coordinator.handoff(
            ctx.tenant_id,
            ctx.execution_id,
            ctx.sender_agent_id,
            receivers,
            ctx.state,
            policy=acks,
            deadline_seconds=deadline,
            message={"step": ctx.step.step, "agent": ctx.step.agent},
        )
        if result.reached:
            return None
        failure = fx.classify_consensus(ctx.step.agent, ctx.step.step, result.describe())
        failure.metadata.update(
            consensus_log_id=str(result.consensus_log_id),
            term=result.term,
            outcome=result.outcome.value,
            acks_received=result.acks_received,
            acks_required=result.acks_required,
            rejections=result.rejections,
        )
        return failure


def supersede_step_checkpoints(
    uow: UnitOfWork, execution_id: uuid.UUID, names: Iterable[str]
) -> None:
    """Mark a step's completion checkpoints superseded, so that running it again can write them.

    Used when a handoff fails: the step's result was not accepted, so its named and
    ``{agent}_complete`` checkpoints leave the live line (they are kept, never deleted).
    """
    uow.session.execute(
        update(Checkpoint)
        .where(
            Checkpoint.execution_id == execution_id,
            Checkpoint.checkpoint_name.in_(list(names)),
            Checkpoint.superseded_at.is_(None),
        )
        .values(superseded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
