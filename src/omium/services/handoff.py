"""Consensus handoffs between the steps of an execution (DESIGN.md "Consensus").

After a step with ``consensus_required: true`` has written its checkpoints, its agent hands the
state over to the agents of the steps that depend on it:

1. the sender becomes leader of a new term (``elect_leader`` at the current term + 1; a lost
   race simply tries the next term);
2. it broadcasts a ``handoff`` entry carrying the handed-over state to the receivers, with
   ``acks_required`` a majority of them unless the policy says all, and a deadline;
3. each receiver the engine runs validates the state with its own preconditions and acks
   valid or invalid; a receiver marked external acks itself (over gRPC or the SDK);
4. the handoff ends when consensus is reached, when rejections make it impossible, or at the
   deadline. Anything but ``reached`` is a ``consensus_violation`` for the engine to handle
   through the recovery policies.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from omium.errors import ConsensusError, ErrorCode
from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    AckPolicy,
    BroadcastMessageRequest,
    ConsensusLogEntry,
    ConsensusOutcome,
    ElectLeaderRequest,
)
from omium.services.consensus import ConsensusService
from omium.types import MessageType

#: A receiver's check of the handed-over state: None when it holds, else why it does not.
Validator = Callable[[dict[str, Any]], Awaitable[str | None]]

#: How many newer terms a sender tries when other leaders keep winning the race.
_ELECTION_ATTEMPTS = 20


@dataclass(frozen=True)
class Receiver:
    """An agent the state is handed to; ``validate`` None = it acks by itself (external)."""

    agent_id: uuid.UUID
    name: str
    validate: Validator | None = None


@dataclass
class HandoffResult:
    """How a handoff ended, and why when it did not reach consensus."""

    consensus_log_id: uuid.UUID
    term: int
    log_index: int
    outcome: ConsensusOutcome
    acks_received: int
    acks_required: int
    rejections: dict[str, str] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        return self.outcome is ConsensusOutcome.REACHED

    def describe(self) -> str:
        """One line for the failure record of a handoff that did not reach consensus."""
        if self.reached:
            return f"consensus reached ({self.acks_received}/{self.acks_required} acks)"
        if self.outcome is ConsensusOutcome.REJECTED:
            reasons = "; ".join(f"{name}: {why}" for name, why in sorted(self.rejections.items()))
            return f"handoff rejected by {reasons}"
        return (
            f"handoff timed out with {self.acks_received}/{self.acks_required} acks "
            f"(outcome {self.outcome.value})"
        )


class HandoffCoordinator:
    """Runs one handoff through the consensus service (blocking calls run in threads)."""

    def __init__(self, consensus: ConsensusService, *, poll_interval: float = 0.05) -> None:
        self.consensus = consensus
        self.poll_interval = poll_interval

    async def handoff(
        self,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        sender_agent_id: uuid.UUID,
        receivers: list[Receiver],
        state: dict[str, Any],
        *,
        policy: AckPolicy = AckPolicy.MAJORITY,
        deadline_seconds: float = 30.0,
        message: dict[str, Any] | None = None,
    ) -> HandoffResult:
        """Hand ``state`` to ``receivers``; returns once the outcome is known or at timeout."""
        term = await self._lead(tenant_id, execution_id, sender_agent_id)
        sent = await asyncio.to_thread(
            self.consensus.broadcast,
            tenant_id,
            BroadcastMessageRequest(
                execution_id=execution_id,
                sender_agent_id=sender_agent_id,
                receiver_agent_ids=[receiver.agent_id for receiver in receivers],
                message_type=MessageType.HANDOFF,
                message={**(message or {}), "state": state},
                term=term,
                ack_policy=policy,
                timeout_seconds=deadline_seconds,
            ),
        )
        rejections: dict[str, str] = {}
        for receiver in receivers:
            if receiver.validate is None:
                continue
            reason = await receiver.validate(state)
            if reason is not None:
                rejections[receiver.name] = reason
            await asyncio.to_thread(
                self.consensus.acknowledge,
                tenant_id,
                AcknowledgeMessageRequest(
                    consensus_log_id=sent.consensus_log_id,
                    agent_id=receiver.agent_id,
                    valid=reason is None,
                ),
            )
        entry = await self._settle(tenant_id, sent.consensus_log_id)
        return HandoffResult(
            consensus_log_id=entry.id,
            term=entry.term,
            log_index=entry.log_index,
            outcome=entry.outcome,
            acks_received=entry.acks_received,
            acks_required=entry.acks_required,
            rejections=rejections,
        )

    async def _lead(
        self, tenant_id: uuid.UUID, execution_id: uuid.UUID, agent_id: uuid.UUID
    ) -> int:
        for _ in range(_ELECTION_ATTEMPTS):
            status = await asyncio.to_thread(self.consensus.status, tenant_id, execution_id)
            result = await asyncio.to_thread(
                self.consensus.elect_leader,
                tenant_id,
                ElectLeaderRequest(
                    execution_id=execution_id,
                    candidate_agent_id=agent_id,
                    term=status.current_term + 1,
                ),
            )
            if result.elected:
                return result.term
        raise ConsensusError(
            f"Agent {agent_id} lost {_ELECTION_ATTEMPTS} leader elections in a row",
            code=ErrorCode.LEADER_ELECTION_FAILED,
            details={"execution_id": str(execution_id), "agent_id": str(agent_id)},
        )

    async def _settle(self, tenant_id: uuid.UUID, log_id: uuid.UUID) -> ConsensusLogEntry:
        # The deadline is the entry's own expires_at: the database, not this process, decides
        # when the entry stops taking acks, so an ack and the timeout cannot both win.
        while True:
            entry = await asyncio.to_thread(self.consensus.entry, tenant_id, log_id)
            if entry.outcome is not ConsensusOutcome.PENDING:
                return entry
            await asyncio.sleep(self.poll_interval)
