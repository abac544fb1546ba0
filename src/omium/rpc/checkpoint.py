"""CheckpointService over gRPC (LLD §3.1): protobuf at the edge, the REST checkpoint calls
(``services/checkpoint_api.py``) inside.

``state`` travels as bytes: a UTF-8 JSON document (the checkpoint service stores JSON).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from omium.errors import ErrorCode, NotFoundError, ValidationError
from omium.rpc.calls import Servicer, unary
from omium.rpc.convert import id_text, parse_id, timestamp
from omium.rpc.generated import checkpoint_pb2 as pb
from omium.rpc.generated import checkpoint_pb2_grpc as pb_grpc
from omium.schemas.resources import Checkpoint, CheckpointCreate
from omium.services import checkpoint_api
from omium.services.auth.authenticator import Authenticator
from omium.services.checkpoints import CheckpointService
from omium.services.context import RequestContext
from omium.services.executions import ExecutionService
from omium.store.db import Database

DEFAULT_PAGE = 100
MAX_PAGE = 1000


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
        state_size_bytes=checkpoint.state_size_bytes,
        state_blob_uri=checkpoint.state_blob_uri,
        checksum=checkpoint.checksum,
        created_at=timestamp(checkpoint.created_at),
        metadata={
            key: value if isinstance(value, str) else json.dumps(value, default=str)
            for key, value in checkpoint.metadata.items()
        },
    )


class CheckpointServicer(Servicer, pb_grpc.CheckpointServiceServicer):
    """Create, read, list, roll back to and delete checkpoints (as REST does)."""

    def __init__(
        self,
        authenticator: Authenticator,
        db: Database,
        checkpoints: CheckpointService,
        executions: ExecutionService,
    ) -> None:
        super().__init__(authenticator)
        self.db = db
        self.checkpoints = checkpoints
        self.executions = executions

    @unary("checkpoint:create")
    async def CreateCheckpoint(
        self, request: pb.CreateCheckpointRequest, ctx: RequestContext
    ) -> pb.CreateCheckpointResponse:
        body = CheckpointCreate(
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
        created = await asyncio.to_thread(
            checkpoint_api.create, self.db, self.checkpoints, ctx, body
        )
        return pb.CreateCheckpointResponse(
            checkpoint_id=str(created.id),
            size_bytes=created.state_size_bytes,
            checksum=created.checksum,
            state_blob_uri=created.state_blob_uri,
            created_at=timestamp(created.created_at),
        )

    @unary("checkpoint:read")
    async def GetCheckpoint(
        self, request: pb.GetCheckpointRequest, ctx: RequestContext
    ) -> pb.GetCheckpointResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        found = await asyncio.to_thread(
            checkpoint_api.get, self.db, self.checkpoints, ctx, checkpoint_id
        )
        return pb.GetCheckpointResponse(checkpoint=checkpoint_to_proto(found))

    @unary("checkpoint:read")
    async def ListCheckpoints(
        self, request: pb.ListCheckpointsRequest, ctx: RequestContext
    ) -> pb.ListCheckpointsResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        page = await asyncio.to_thread(
            lambda: checkpoint_api.list_for_execution(
                self.db,
                self.checkpoints,
                ctx,
                execution_id,
                include_superseded=False,
                limit=max(1, min(request.limit or DEFAULT_PAGE, MAX_PAGE)),
                offset=max(0, request.offset),
            )
        )
        return pb.ListCheckpointsResponse(
            checkpoints=[checkpoint_to_proto(c) for c in page.checkpoints],
            total=page.pagination.total,
        )

    @unary("checkpoint:rollback")
    async def RollbackToCheckpoint(
        self, request: pb.RollbackRequest, ctx: RequestContext
    ) -> pb.RollbackResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        if request.execution_id:
            execution_id = parse_id(request.execution_id, "execution_id")
            found = await asyncio.to_thread(
                checkpoint_api.get, self.db, self.checkpoints, ctx, checkpoint_id
            )
            if found.execution_id != execution_id:
                raise NotFoundError(
                    f"Checkpoint with ID '{checkpoint_id}' not found in execution '{execution_id}'",
                    code=ErrorCode.CHECKPOINT_NOT_FOUND,
                    details={
                        "checkpoint_id": str(checkpoint_id),
                        "execution_id": str(execution_id),
                    },
                )
        result = await asyncio.to_thread(
            checkpoint_api.rollback,
            self.db,
            self.executions,
            ctx,
            checkpoint_id,
            request.reason or "manual rollback",
        )
        return pb.RollbackResponse(
            rollback_id=str(result.rollback.id),
            success=result.rollback.status == "completed",
            message=result.message,
            completed_at=timestamp(result.rollback.completed_at),
        )

    @unary("checkpoint:delete")
    async def DeleteCheckpoint(
        self, request: pb.DeleteCheckpointRequest, ctx: RequestContext
    ) -> pb.DeleteCheckpointResponse:
        checkpoint_id = parse_id(request.checkpoint_id, "checkpoint_id")
        await asyncio.to_thread(
            checkpoint_api.delete, self.db, self.checkpoints, ctx, checkpoint_id
        )
        return pb.DeleteCheckpointResponse(success=True)
