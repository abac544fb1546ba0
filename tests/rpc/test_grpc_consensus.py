"""ConsensusService through a real channel: every RPC, errors, and tenant isolation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import struct_pb2

from omium.rpc.errors import error_code_of
from omium.rpc.generated import consensus_pb2 as pb
from omium.store.db import Database
from omium.store.models import Tenant, User
from tests.factories import make_agent, make_execution, make_workflow
from tests.rpc.conftest import Caller, Rpc


@dataclass
class Team:
    execution_id: str
    leader: str
    receivers: list[str]


def _team(db: Database, caller: Caller) -> Team:
    with db.session() as session:
        tenant = session.get(Tenant, caller.tenant_id)
        user = session.get(User, caller.user_id)
        assert tenant is not None and user is not None
        execution = make_execution(session, make_workflow(session, tenant, user))
        agents = [str(make_agent(session, execution, name=f"a{i}").id) for i in range(4)]
        session.commit()
        return Team(str(execution.id), agents[0], agents[1:])


@pytest.fixture
def owner(rpc: Rpc) -> Caller:
    return rpc.register()


def _elect(rpc: Rpc, caller: Caller, team: Team, agent: str, term: int) -> pb.ElectLeaderResponse:
    request = pb.ElectLeaderRequest(
        execution_id=team.execution_id, candidate_agent_id=agent, term=term
    )
    return rpc.consensus.ElectLeader(request, metadata=caller.metadata, timeout=10)


def _code(error: grpc.RpcError) -> tuple[grpc.StatusCode, str | None]:
    return error.code(), error_code_of(error)  # type: ignore[attr-defined, arg-type]


def test_elect_broadcast_acknowledge_and_status(rpc: Rpc, owner: Caller) -> None:
    team = _team(rpc.db, owner)
    md = owner.metadata
    elected = rpc.consensus.ElectLeader(
        pb.ElectLeaderRequest(
            execution_id=team.execution_id, candidate_agent_id=team.leader, term=1
        ),
        metadata=md,
        timeout=10,
    )
    assert (elected.elected, elected.leader_agent_id, elected.term) == (True, team.leader, 1)
    lost = _elect(rpc, owner, team, team.receivers[0], 1)
    assert (lost.elected, lost.leader_agent_id, lost.term) == (False, team.leader, 1)

    message = struct_pb2.Struct()
    message.update({"document": {"type": "passport"}, "score": 0.9})
    sent = rpc.consensus.BroadcastMessage(
        pb.BroadcastMessageRequest(
            execution_id=team.execution_id,
            sender_agent_id=team.leader,
            receiver_agent_ids=team.receivers,
            message_type=pb.HANDOFF,
            message=message,
            term=1,
        ),
        metadata=md,
        timeout=10,
    )
    assert (sent.acks_required, sent.consensus_reached) == (2, False)
    assert sent.broadcast_at.seconds > 0

    first = rpc.consensus.AcknowledgeMessage(
        pb.AcknowledgeMessageRequest(
            consensus_log_id=sent.consensus_log_id, agent_id=team.receivers[0], valid=True
        ),
        metadata=md,
        timeout=10,
    )
    assert (first.success, first.total_acks, first.consensus_reached) == (True, 1, False)
    again = rpc.consensus.AcknowledgeMessage(
        pb.AcknowledgeMessageRequest(
            consensus_log_id=sent.consensus_log_id, agent_id=team.receivers[0], valid=True
        ),
        metadata=md,
        timeout=10,
    )
    assert (again.success, again.total_acks) == (True, 1)
    second = rpc.consensus.AcknowledgeMessage(
        pb.AcknowledgeMessageRequest(
            consensus_log_id=sent.consensus_log_id, agent_id=team.receivers[1], valid=True
        ),
        metadata=md,
        timeout=10,
    )
    assert (second.total_acks, second.consensus_reached) == (2, True)

    status = rpc.consensus.GetConsensusStatus(
        pb.GetConsensusStatusRequest(execution_id=team.execution_id), metadata=md, timeout=10
    )
    assert (status.execution_id, status.current_term, status.leader_agent_id) == (
        team.execution_id,
        1,
        team.leader,
    )
    [log] = status.logs
    assert (log.id, log.term, log.log_index, log.sender_agent_id) == (
        sent.consensus_log_id,
        1,
        1,
        team.leader,
    )
    assert (log.message_type, log.consensus_reached, log.acks_received) == (pb.HANDOFF, True, 2)


def test_a_stale_term_broadcast_fails_with_the_lld_code(rpc: Rpc, owner: Caller) -> None:
    team = _team(rpc.db, owner)
    with pytest.raises(grpc.RpcError) as failed:
        rpc.consensus.BroadcastMessage(
            pb.BroadcastMessageRequest(
                execution_id=team.execution_id,
                sender_agent_id=team.leader,
                message_type=pb.HANDOFF,
                term=1,
            ),
            metadata=owner.metadata,
            timeout=10,
        )
    assert _code(failed.value) == (grpc.StatusCode.FAILED_PRECONDITION, "MESSAGE_BROADCAST_FAILED")


def test_bad_input_is_invalid_argument(rpc: Rpc, owner: Caller) -> None:
    team = _team(rpc.db, owner)
    with pytest.raises(grpc.RpcError) as bad_id:
        rpc.consensus.GetConsensusStatus(
            pb.GetConsensusStatusRequest(execution_id="not-an-id"),
            metadata=owner.metadata,
            timeout=10,
        )
    assert _code(bad_id.value) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD_FORMAT")
    with pytest.raises(grpc.RpcError) as no_type:
        rpc.consensus.ElectLeader(
            pb.ElectLeaderRequest(
                execution_id=team.execution_id, candidate_agent_id=team.leader, term=1
            ),
            metadata=owner.metadata,
            timeout=10,
        )
        rpc.consensus.BroadcastMessage(
            pb.BroadcastMessageRequest(
                execution_id=team.execution_id, sender_agent_id=team.leader, term=1
            ),
            metadata=owner.metadata,
            timeout=10,
        )
    assert _code(no_type.value) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUT")
    with pytest.raises(grpc.RpcError) as zero_term:
        rpc.consensus.ElectLeader(
            pb.ElectLeaderRequest(
                execution_id=team.execution_id, candidate_agent_id=team.leader, term=0
            ),
            metadata=owner.metadata,
            timeout=10,
        )
    assert zero_term.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_another_tenants_ids_are_not_found(rpc: Rpc, owner: Caller) -> None:
    team = _team(rpc.db, owner)
    rpc.consensus.ElectLeader(
        pb.ElectLeaderRequest(
            execution_id=team.execution_id, candidate_agent_id=team.leader, term=1
        ),
        metadata=owner.metadata,
        timeout=10,
    )
    sent = rpc.consensus.BroadcastMessage(
        pb.BroadcastMessageRequest(
            execution_id=team.execution_id,
            sender_agent_id=team.leader,
            message_type=pb.STATE_UPDATE,
            term=1,
        ),
        metadata=owner.metadata,
        timeout=10,
    )
    other = rpc.register().metadata
    calls = [
        lambda: rpc.consensus.GetConsensusStatus(
            pb.GetConsensusStatusRequest(execution_id=team.execution_id), metadata=other, timeout=10
        ),
        lambda: rpc.consensus.ElectLeader(
            pb.ElectLeaderRequest(
                execution_id=team.execution_id, candidate_agent_id=team.leader, term=9
            ),
            metadata=other,
            timeout=10,
        ),
        lambda: rpc.consensus.BroadcastMessage(
            pb.BroadcastMessageRequest(
                execution_id=team.execution_id,
                sender_agent_id=team.leader,
                message_type=pb.HANDOFF,
                term=1,
            ),
            metadata=other,
            timeout=10,
        ),
        lambda: rpc.consensus.AcknowledgeMessage(
            pb.AcknowledgeMessageRequest(
                consensus_log_id=sent.consensus_log_id, agent_id=team.receivers[0], valid=True
            ),
            metadata=other,
            timeout=10,
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as hidden:
            call()
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    # Nothing changed for the owner.
    status = rpc.consensus.GetConsensusStatus(
        pb.GetConsensusStatusRequest(execution_id=team.execution_id),
        metadata=owner.metadata,
        timeout=10,
    )
    assert status.current_term == 1 and status.logs[0].acks_received == 0
    assert uuid.UUID(status.logs[0].id) == uuid.UUID(sent.consensus_log_id)
