"""CheckpointService over gRPC (LLD §3.1): protobuf at the edge, CheckpointRecords inside.

``state`` travels as bytes: a UTF-8 JSON document (the checkpoint service stores JSON).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from omium.errors import ErrorCode, ValidationError
from omium.rpc.calls import Authenticator, Principal, Servicer, unary
from omium.rpc.convert import id_text, parse_id, timestamp
from omium.rpc.generated import checkpoint_pb2 as pb
from omium.rpc.generated import checkpoint_pb2_grpc as pb_grpc
from omium.schemas.checkpoint_requests import CheckpointCreate, CheckpointRollback
from omium.schemas.checkpoints import Checkpoint
from omium.services.checkpoint_records import CheckpointRecords

DEFAULT_PAGE = 100


def decode_state(raw: bytes) -> Any:
    """The JSON document a CreateCheckpoint request carries."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(
            "state must be a UTF-8 JSON document",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": "state"},
        ) from None


def checkpoint_to_proto(checkpoint: Checkpoint) -> pb.Checkpoint:
    return pb.Checkpoint(
        id=str(checkpoint.id),
        execution_id=str(checkpoint.execution_id),
        agent_id=id_text(checkpoint.agent_id),
        checkpoint_name=checkpoint.checkpoint_name,
        state_size_bytes=checkpoint.state_size_bytes or 0,
        state_blob_uri=checkpoint.state_blob_uri or "",
        checksum=checkpoint.checksum or "",
        created_at=timestamp(checkpoint.created_at),
        metadata={
            key: value if isinstance(value, str) else json.dumps(value, default=str)
            for key, value in checkpoint.metadata.items()
        },
    )


class CheckpointServicer(Servicer, pb_grpc.CheckpointServiceServicer):
    """Create, read, list, roll back to and delete checkpoints."""

    def __init__(self, authenticator: Authenticator, records: CheckpointRecords) -> None:
        super().__init__(authenticator)
        self.records = records

    @unary("checkpoint:create")
    async def CreateCheckpoint(
        self, request: pb.CreateCheckpointRequest, principal: Principal
    ) -> pb.CreateCheckpointResponse:
        data = CheckpointCreate(
            execution_id=parse_id(request.execution_id, "execution_id"),
            agent_id=parse_id(request.agent_id, "agent_id") if request.agent_id else None,
            checkpoint_name=request.checkpoint_name,
            state=decode_state(request.state),
            metadata=dict(request.metadata),
            preconditions=(
                list(request.preconditions.conditions)
                if request.HasField("preconditions")
                else None
            ),
            postconditions=(
                list(request.postconditions.conditions)
                if request.HasField("postconditions")
                else None
            ),
        )
        created = await asyncio.to_thread(self.records.create, principal.tenant_id, data)
        return pb.CreateCheckpointResponse(
            checkpoint_id=str(created.id),
            size_bytes=created.state_size_bytes or 0,
            checksum=created.checksum or "",
            state_blob_uri=created.state_blob_uri or "",
            created_at=timestamp(created.created_at),
        )

    @unary("checkpoint:read")
    async def GetCheckpoint(
        self, request: pb.GetCheckpointRequest, principal: Principal
    ) -> pb.GetCheckpointResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        found = await asyncio.to_thread(self.records.get, principal.tenant_id, checkpoint_id)
        return pb.GetCheckpointResponse(checkpoint=checkpoint_to_proto(found))

    @unary("checkpoint:read")
    async def ListCheckpoints(
        self, request: pb.ListCheckpointsRequest, principal: Principal
    ) -> pb.ListCheckpointsResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        page = await asyncio.to_thread(
            self.records.list,
            principal.tenant_id,
            execution_id,
            limit=request.limit or DEFAULT_PAGE,
            offset=request.offset,
        )
        return pb.ListCheckpointsResponse(
            checkpoints=[checkpoint_to_proto(c) for c in page.checkpoints], total=page.total
        )

    @unary("checkpoint:rollback")
    async def RollbackToCheckpoint(
        self, request: pb.RollbackRequest, principal: Principal
    ) -> pb.RollbackResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        execution_id = (
            parse_id(request.execution_id, "execution_id") if request.execution_id else None
        )
        data = CheckpointRollback(
            reason=request.reason or "manual rollback", trigger_type=request.trigger_type or None
        )
        result = await asyncio.to_thread(
            self.records.rollback,
            principal.tenant_id,
            checkpoint_id,
            data,
            execution_id=execution_id,
            triggered_by=principal.user_id,
        )
        return pb.RollbackResponse(
            rollback_id=str(result.rollback.id),
            success=result.rollback.status == "completed",
            message=result.message,
            completed_at=timestamp(result.rollback.completed_at),
        )

    @unary("checkpoint:delete")
    async def DeleteCheckpoint(
        self, request: pb.DeleteCheckpointRequest, principal: Principal
    ) -> pb.DeleteCheckpointResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        await asyncio.to_thread(self.records.delete, principal.tenant_id, checkpoint_id)
        return pb.DeleteCheckpointResponse(success=True)
