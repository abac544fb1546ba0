"""ConsensusService over gRPC (LLD §3.2): protobuf at the edge, ConsensusService inside."""

from __future__ import annotations

import asyncio

from omium.rpc.calls import Authenticator, Principal, Servicer, unary
from omium.rpc.convert import from_struct, id_text, parse_id, timestamp
from omium.rpc.generated import consensus_pb2 as pb
from omium.rpc.generated import consensus_pb2_grpc as pb_grpc
from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    BroadcastMessageRequest,
    ConsensusLogEntry,
    ElectLeaderRequest,
)
from omium.services.consensus import ConsensusService
from omium.types import MessageType

#: The permission strings of the consensus RPCs (LLD §6 ``resource:action``).
CONSENSUS_READ = "consensus:read"
CONSENSUS_WRITE = "consensus:write"

_TO_PROTO: dict[MessageType, pb.MessageType] = {
    MessageType.HANDOFF: pb.HANDOFF,
    MessageType.STATE_UPDATE: pb.STATE_UPDATE,
    MessageType.COMPLETION: pb.COMPLETION,
    MessageType.FAILURE: pb.FAILURE,
}
_FROM_PROTO = {value: key for key, value in _TO_PROTO.items()}


def message_type_from_proto(value: int) -> MessageType | None:
    """The schema's message type; None for MESSAGE_TYPE_UNSPECIFIED or an unknown number."""
    return next((key for number, key in _FROM_PROTO.items() if number == value), None)


def log_to_proto(entry: ConsensusLogEntry) -> pb.ConsensusLog:
    return pb.ConsensusLog(
        id=str(entry.id),
        term=entry.term,
        log_index=entry.log_index,
        sender_agent_id=str(entry.sender_agent_id),
        message_type=_TO_PROTO[entry.message_type],
        consensus_reached=entry.consensus_reached,
        acks_received=entry.acks_received,
        created_at=timestamp(entry.created_at),
    )


class ConsensusServicer(Servicer, pb_grpc.ConsensusServiceServicer):
    """Each RPC: authenticate, convert the request to the schema, call the service."""

    def __init__(self, authenticator: Authenticator, service: ConsensusService) -> None:
        super().__init__(authenticator)
        self.service = service

    @unary(CONSENSUS_WRITE)
    async def BroadcastMessage(
        self, request: pb.BroadcastMessageRequest, principal: Principal
    ) -> pb.BroadcastMessageResponse:
        schema = BroadcastMessageRequest.model_validate(
            {
                "execution_id": parse_id(request.execution_id, "execution_id"),
                "sender_agent_id": parse_id(request.sender_agent_id, "sender_agent_id"),
                "receiver_agent_ids": [
                    parse_id(agent, "receiver_agent_ids") for agent in request.receiver_agent_ids
                ],
                "message_type": message_type_from_proto(request.message_type),
                "message": from_struct(request.message),
                "term": request.term,
            }
        )
        result = await asyncio.to_thread(self.service.broadcast, principal.tenant_id, schema)
        return pb.BroadcastMessageResponse(
            consensus_log_id=str(result.consensus_log_id),
            acks_required=result.acks_required,
            consensus_reached=result.consensus_reached,
            broadcast_at=timestamp(result.broadcast_at),
        )

    @unary(CONSENSUS_WRITE)
    async def AcknowledgeMessage(
        self, request: pb.AcknowledgeMessageRequest, principal: Principal
    ) -> pb.AcknowledgeMessageResponse:
        schema = AcknowledgeMessageRequest(
            consensus_log_id=parse_id(request.consensus_log_id, "consensus_log_id"),
            agent_id=parse_id(request.agent_id, "agent_id"),
            valid=request.valid,
        )
        result = await asyncio.to_thread(self.service.acknowledge, principal.tenant_id, schema)
        return pb.AcknowledgeMessageResponse(
            success=result.success,
            total_acks=result.total_acks,
            consensus_reached=result.consensus_reached,
        )

    @unary(CONSENSUS_READ)
    async def GetConsensusStatus(
        self, request: pb.GetConsensusStatusRequest, principal: Principal
    ) -> pb.GetConsensusStatusResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        status = await asyncio.to_thread(self.service.status, principal.tenant_id, execution_id)
        return pb.GetConsensusStatusResponse(
            execution_id=str(status.execution_id),
            current_term=status.current_term,
            leader_agent_id=id_text(status.leader_agent_id),
            logs=[log_to_proto(entry) for entry in status.logs],
        )

    @unary(CONSENSUS_WRITE)
    async def ElectLeader(
        self, request: pb.ElectLeaderRequest, principal: Principal
    ) -> pb.ElectLeaderResponse:
        schema = ElectLeaderRequest(
            execution_id=parse_id(request.execution_id, "execution_id"),
            candidate_agent_id=parse_id(request.candidate_agent_id, "candidate_agent_id"),
            term=request.term,
        )
        result = await asyncio.to_thread(self.service.elect_leader, principal.tenant_id, schema)
        return pb.ElectLeaderResponse(
            elected=result.elected,
            leader_agent_id=id_text(result.leader_agent_id),
            term=result.term,
        )
