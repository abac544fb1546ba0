"""Handoffs through the consensus log: accepted, rejected by a precondition, timed out."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from omium.errors import ConsensusError
from omium.schemas.consensus import AcknowledgeMessageRequest, AckPolicy, ConsensusOutcome
from omium.services.consensus import ConsensusService
from omium.services.handoff import HandoffCoordinator, Receiver
from omium.store.db import Database
from tests.factories import World, make_agent


@pytest.fixture
def world(db: Database) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    with db.session() as session:
        world = World(session)
        agents = [world.agent_a.id] + [
            make_agent(session, world.execution_a, name=f"next{i}").id for i in range(3)
        ]
        session.commit()
        return world.tenant_a.id, world.execution_a.id, agents


async def _has_document(state: dict[str, Any]) -> str | None:
    return None if state.get("document") else "document != null failed: document is null"


async def _always(state: dict[str, Any]) -> str | None:
    return None


def test_an_accepted_handoff_reaches_consensus(
    db: Database, world: tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]
) -> None:
    tenant, execution, (sender, *receivers) = world
    coordinator = HandoffCoordinator(ConsensusService(db))
    result = asyncio.run(
        coordinator.handoff(
            tenant,
            execution,
            sender,
            [Receiver(agent, f"r{i}", _has_document) for i, agent in enumerate(receivers)],
            {"document": {"type": "passport"}},
            deadline_seconds=10,
        )
    )
    assert result.reached and (result.acks_received, result.acks_required) == (3, 2)
    status = ConsensusService(db).status(tenant, execution)
    assert status.leader_agent_id == sender and status.current_term == result.term
    assert status.logs[0].message["state"] == {"document": {"type": "passport"}}


def test_a_precondition_rejects_the_handoff(
    db: Database, world: tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]
) -> None:
    tenant, execution, (sender, first, second, _) = world
    coordinator = HandoffCoordinator(ConsensusService(db))
    result = asyncio.run(
        coordinator.handoff(
            tenant,
            execution,
            sender,
            [Receiver(first, "kyc", _has_document), Receiver(second, "risk", _always)],
            {"document": None},
            policy=AckPolicy.ALL,
            deadline_seconds=10,
        )
    )
    assert result.outcome is ConsensusOutcome.REJECTED
    assert result.rejections == {"kyc": "document != null failed: document is null"}
    assert "kyc: document != null failed" in result.describe()


def test_a_missing_external_ack_times_out_and_late_acks_are_refused(
    db: Database, world: tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]
) -> None:
    tenant, execution, (sender, external, *_) = world
    service = ConsensusService(db)
    result = asyncio.run(
        HandoffCoordinator(service, poll_interval=0.01).handoff(
            tenant,
            execution,
            sender,
            [Receiver(external, "remote")],
            {"x": 1},
            deadline_seconds=0.2,
        )
    )
    assert result.outcome is ConsensusOutcome.EXPIRED
    assert "timed out" in result.describe()
    late = AcknowledgeMessageRequest(consensus_log_id=result.consensus_log_id, agent_id=external)
    with pytest.raises(ConsensusError, match="deadline"):
        service.acknowledge(tenant, late)


def test_consecutive_handoffs_take_new_terms(
    db: Database, world: tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]
) -> None:
    tenant, execution, (first, second, third, _) = world
    coordinator = HandoffCoordinator(ConsensusService(db))

    async def both() -> tuple[int, int]:
        one = await coordinator.handoff(
            tenant,
            execution,
            first,
            [Receiver(second, "b", _always)],
            {"step": 1},
            deadline_seconds=5,
        )
        two = await coordinator.handoff(
            tenant,
            execution,
            second,
            [Receiver(third, "c", _always)],
            {"step": 2},
            deadline_seconds=5,
        )
        return one.term, two.term

    assert asyncio.run(both()) == (1, 2)
    status = ConsensusService(db).status(tenant, execution)
    assert [entry.log_index for entry in status.logs] == [1, 2]
