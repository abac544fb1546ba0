"""The consensus coordinator on a real database: elections, broadcasts, acks, status."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest

from omium.errors import ConflictError, ConsensusError, ErrorCode, NotFoundError, ValidationError
from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    AcknowledgeMessageResult,
    AckPolicy,
    BroadcastMessageRequest,
    ConsensusOutcome,
    ElectLeaderRequest,
)
from omium.services.consensus import ConsensusService, acks_required
from omium.store.db import Database
from omium.types import MessageType
from tests.factories import World, make_agent


@dataclass
class Team:
    tenant_id: uuid.UUID
    other_tenant_id: uuid.UUID
    execution_id: uuid.UUID
    other_execution_id: uuid.UUID
    leader: uuid.UUID
    receivers: list[uuid.UUID]
    foreign_agent: uuid.UUID


@pytest.fixture
def team(db: Database) -> Team:
    with db.session() as session:
        world = World(session)
        receivers = [make_agent(session, world.execution_a, name=f"r{i}").id for i in range(3)]
        team = Team(
            tenant_id=world.tenant_a.id,
            other_tenant_id=world.tenant_b.id,
            execution_id=world.execution_a.id,
            other_execution_id=world.execution_b.id,
            leader=world.agent_a.id,
            receivers=receivers,
            foreign_agent=world.agent_b.id,
        )
        session.commit()
    return team


@pytest.fixture
def service(db: Database) -> ConsensusService:
    return ConsensusService(db)


def _elect(service: ConsensusService, team: Team, agent: uuid.UUID, term: int) -> bool:
    request = ElectLeaderRequest(
        execution_id=team.execution_id, candidate_agent_id=agent, term=term
    )
    return service.elect_leader(team.tenant_id, request).elected


def _broadcast(service: ConsensusService, team: Team, term: int = 1, **extra: object) -> uuid.UUID:
    request = BroadcastMessageRequest.model_validate(
        {
            "execution_id": team.execution_id,
            "sender_agent_id": team.leader,
            "receiver_agent_ids": team.receivers,
            "message_type": "handoff",
            "message": {"document": {"type": "passport"}},
            "term": term,
            **extra,
        }
    )
    return service.broadcast(team.tenant_id, request).consensus_log_id


def _ack(
    service: ConsensusService, team: Team, log_id: uuid.UUID, agent: uuid.UUID, valid: bool = True
) -> AcknowledgeMessageResult:
    request = AcknowledgeMessageRequest(consensus_log_id=log_id, agent_id=agent, valid=valid)
    return service.acknowledge(team.tenant_id, request)


def test_acks_required_is_a_majority_unless_all() -> None:
    assert [acks_required(n, AckPolicy.MAJORITY) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert acks_required(4, AckPolicy.ALL) == 4


def test_election_is_granted_only_above_the_current_term(
    service: ConsensusService, team: Team
) -> None:
    assert _elect(service, team, team.leader, 1)
    lost = service.elect_leader(
        team.tenant_id,
        ElectLeaderRequest(
            execution_id=team.execution_id, candidate_agent_id=team.receivers[0], term=1
        ),
    )
    assert (lost.elected, lost.leader_agent_id, lost.term) == (False, team.leader, 1)
    assert _elect(service, team, team.receivers[0], 3)
    assert not _elect(service, team, team.leader, 2)
    status = service.status(team.tenant_id, team.execution_id)
    assert (status.current_term, status.leader_agent_id) == (3, team.receivers[0])


def test_status_before_any_election(service: ConsensusService, team: Team) -> None:
    status = service.status(team.tenant_id, team.execution_id)
    assert (status.current_term, status.leader_agent_id, status.logs) == (0, None, [])


def test_only_the_current_leader_broadcasts(service: ConsensusService, team: Team) -> None:
    with pytest.raises(ConsensusError) as no_leader:
        _broadcast(service, team)
    assert no_leader.value.code is ErrorCode.MESSAGE_BROADCAST_FAILED
    assert _elect(service, team, team.leader, 1)
    assert _elect(service, team, team.receivers[0], 2)
    with pytest.raises(ConsensusError) as stale:
        _broadcast(service, team, term=1)
    assert stale.value.details["current_term"] == 2


def test_broadcast_appends_at_dense_indexes(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    ids = [_broadcast(service, team) for _ in range(3)]
    status = service.status(team.tenant_id, team.execution_id)
    assert [entry.id for entry in status.logs] == ids
    assert [entry.log_index for entry in status.logs] == [1, 2, 3]
    first = status.logs[0]
    assert first.acks_required == 2
    assert sorted(first.receiver_agent_ids) == sorted(team.receivers)
    assert first.message == {"document": {"type": "passport"}}
    assert first.message_type is MessageType.HANDOFF
    assert first.outcome is ConsensusOutcome.PENDING


def test_majority_of_valid_acks_reaches_consensus_once(
    service: ConsensusService, team: Team
) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team)
    first = _ack(service, team, log_id, team.receivers[0])
    assert (first.total_acks, first.consensus_reached) == (1, False)
    again = _ack(service, team, log_id, team.receivers[0])
    assert (again.success, again.total_acks, again.consensus_reached) == (True, 1, False)
    second = _ack(service, team, log_id, team.receivers[1])
    assert (second.total_acks, second.consensus_reached) == (2, True)
    assert second.outcome is ConsensusOutcome.REACHED
    late_rejection = _ack(service, team, log_id, team.receivers[2], valid=False)
    assert late_rejection.consensus_reached
    entry = service.entry(team.tenant_id, log_id)
    assert (entry.acks_received, entry.rejections, entry.consensus_reached) == (2, 1, True)
    assert entry.committed_at is not None


def test_policy_all_needs_every_receiver(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team, ack_policy="all")
    for agent in team.receivers[:2]:
        assert not _ack(service, team, log_id, agent).consensus_reached
    assert _ack(service, team, log_id, team.receivers[2]).consensus_reached


def test_rejections_that_make_consensus_impossible_reject_the_entry(
    service: ConsensusService, team: Team
) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team)
    assert _ack(service, team, log_id, team.receivers[0], valid=False).outcome is (
        ConsensusOutcome.PENDING
    )
    result = _ack(service, team, log_id, team.receivers[1], valid=False)
    assert (result.consensus_reached, result.rejections) == (False, 2)
    assert result.outcome is ConsensusOutcome.REJECTED


def test_a_changed_answer_is_refused(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team)
    _ack(service, team, log_id, team.receivers[0], valid=False)
    with pytest.raises(ConflictError):
        _ack(service, team, log_id, team.receivers[0], valid=True)
    assert service.entry(team.tenant_id, log_id).acks_received == 0


def test_only_receivers_ack(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team, receiver_agent_ids=[team.receivers[0]])
    with pytest.raises(ValidationError):
        _ack(service, team, log_id, team.receivers[1])
    assert _ack(service, team, log_id, team.receivers[0]).consensus_reached


def test_empty_receivers_means_every_other_agent(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team, receiver_agent_ids=[])
    assert sorted(service.entry(team.tenant_id, log_id).receiver_agent_ids) == sorted(
        team.receivers
    )


def test_an_expired_entry_takes_no_acks(service: ConsensusService, team: Team) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team, timeout_seconds=0.05)
    time.sleep(0.1)
    with pytest.raises(ConsensusError) as expired:
        _ack(service, team, log_id, team.receivers[0])
    assert expired.value.code is ErrorCode.CONSENSUS_NOT_REACHED
    entry = service.entry(team.tenant_id, log_id)
    assert (entry.outcome, entry.acks_received) == (ConsensusOutcome.EXPIRED, 0)


def test_agents_of_another_execution_are_refused(service: ConsensusService, team: Team) -> None:
    with pytest.raises(ValidationError):
        _elect(service, team, team.foreign_agent, 1)
    assert _elect(service, team, team.leader, 1)
    with pytest.raises(ValidationError):
        _broadcast(service, team, receiver_agent_ids=[team.foreign_agent])


def test_another_tenants_execution_and_log_are_not_found(
    service: ConsensusService, team: Team
) -> None:
    assert _elect(service, team, team.leader, 1)
    log_id = _broadcast(service, team)
    with pytest.raises(NotFoundError) as status:
        service.status(team.other_tenant_id, team.execution_id)
    assert status.value.code is ErrorCode.EXECUTION_NOT_FOUND
    with pytest.raises(NotFoundError):
        service.elect_leader(
            team.other_tenant_id,
            ElectLeaderRequest(
                execution_id=team.execution_id, candidate_agent_id=team.leader, term=5
            ),
        )
    with pytest.raises(NotFoundError):
        service.acknowledge(
            team.other_tenant_id,
            AcknowledgeMessageRequest(consensus_log_id=log_id, agent_id=team.receivers[0]),
        )
    assert service.status(team.tenant_id, team.execution_id).current_term == 1
