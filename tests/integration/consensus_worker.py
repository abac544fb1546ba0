"""Code the consensus property tests run in separate processes (imported by spawn)."""

from __future__ import annotations

import uuid
from typing import Any

from omium.errors import OmiumError
from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    BroadcastMessageRequest,
    ElectLeaderRequest,
)
from omium.services.consensus import ConsensusService
from omium.store.db import Database

_service: ConsensusService | None = None


def init(database_url: str) -> None:
    """Pool initializer: one database engine per worker process."""
    global _service
    _service = ConsensusService(Database(database_url))


def _observe(service: ConsensusService, tenant: uuid.UUID, execution: uuid.UUID) -> dict[str, Any]:
    status = service.status(tenant, execution)
    return {
        "term": status.current_term,
        "reached": {str(entry.id): entry.consensus_reached for entry in status.logs},
    }


def run(
    barrier: Any,
    tenant: uuid.UUID,
    execution: uuid.UUID,
    me: uuid.UUID,
    agents: list[uuid.UUID],
    ops: list[tuple[Any, ...]],
) -> dict[str, Any]:
    """Run ``ops`` as agent ``me`` once every worker is ready; report what was seen."""
    service = _service
    assert service is not None
    barrier.wait(timeout=60)
    my_term = 0
    elections: list[tuple[int, str, bool]] = []
    acks: list[tuple[str, str, bool]] = []
    broadcasts: list[tuple[int, str]] = []
    observations: list[dict[str, Any]] = []
    for op in ops:
        try:
            if op[0] == "elect":
                term = int(op[1])
                result = service.elect_leader(
                    tenant,
                    ElectLeaderRequest(execution_id=execution, candidate_agent_id=me, term=term),
                )
                elections.append((term, str(me), result.elected))
                if result.elected:
                    my_term = term
            elif op[0] == "broadcast":
                sent = service.broadcast(
                    tenant,
                    BroadcastMessageRequest(
                        execution_id=execution,
                        sender_agent_id=me,
                        message_type="handoff",
                        message={"from": str(me)},
                        term=max(my_term, 1),
                    ),
                )
                broadcasts.append((max(my_term, 1), str(sent.consensus_log_id)))
            elif op[0] == "ack":
                logs = service.status(tenant, execution).logs
                if logs:
                    entry = logs[int(op[1]) % len(logs)]
                    agent = agents[int(op[2]) % len(agents)]
                    if agent in entry.receiver_agent_ids:
                        service.acknowledge(
                            tenant,
                            AcknowledgeMessageRequest(
                                consensus_log_id=entry.id, agent_id=agent, valid=bool(op[3])
                            ),
                        )
                        acks.append((str(entry.id), str(agent), bool(op[3])))
        except OmiumError:
            pass  # a lost race (stale term, a changed answer) is refused, never half-done
        observations.append(_observe(service, tenant, execution))
    return {
        "elections": elections,
        "acks": acks,
        "broadcasts": broadcasts,
        "observations": observations,
    }
