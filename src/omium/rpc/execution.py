"""ExecutionService over gRPC (LLD §3.3): protobuf at the edge, the engine's services inside."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TypeVar

from omium.clock import utcnow
from omium.rpc.calls import Servicer, server_stream, unary
from omium.rpc.convert import from_struct, parse_id, struct, timestamp
from omium.rpc.generated import execution_pb2 as pb
from omium.rpc.generated import execution_pb2_grpc as pb_grpc
from omium.schemas.executions import Execution, ExecutionCreate
from omium.services import audit
from omium.services.auth.authenticator import Authenticator
from omium.services.context import RequestContext
from omium.services.execution_events import ExecutionEventFeed
from omium.services.executions import ExecutionService
from omium.store.db import Database
from omium.store.models import Execution as ExecutionRow
from omium.types import AuditResourceType, ExecutionStatus

T = TypeVar("T")

_STATUS: dict[str, pb.ExecutionStatus] = {
    ExecutionStatus.PENDING.value: pb.PENDING,
    ExecutionStatus.RUNNING.value: pb.RUNNING,
    ExecutionStatus.PAUSED.value: pb.PAUSED,
    ExecutionStatus.COMPLETED.value: pb.COMPLETED,
    ExecutionStatus.FAILED.value: pb.FAILED,
    ExecutionStatus.ROLLED_BACK.value: pb.ROLLED_BACK,
    ExecutionStatus.CANCELLED.value: pb.CANCELLED,
}


def status_to_proto(status: str) -> pb.ExecutionStatus:
    """An execution's (or agent's: same words) status; unknown -> UNSPECIFIED."""
    return _STATUS.get(status, pb.EXECUTION_STATUS_UNSPECIFIED)


def execution_to_proto(execution: Execution) -> pb.Execution:
    return pb.Execution(
        id=str(execution.id),
        workflow_id=str(execution.workflow_id),
        status=status_to_proto(execution.status),
        started_at=timestamp(execution.started_at),
        completed_at=timestamp(execution.completed_at),
        current_checkpoint=execution.current_checkpoint or "",
        progress=pb.Progress(
            current_step=execution.progress.current_step,
            total_steps=execution.progress.total_steps,
            percentage=execution.progress.percentage,
        ),
        agents=[
            pb.Agent(
                id=str(agent.id),
                name=agent.name,
                agent_type=agent.agent_type,
                status=status_to_proto(agent.status),
                duration_ms=agent.duration_ms or 0,
            )
            for agent in execution.agents
        ],
        result=struct(execution.result) if execution.result is not None else None,
        error=execution.error or "",
    )


def _paused_at(execution: Execution) -> datetime:
    raw = execution.metadata.get("paused_at")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else utcnow()
    except ValueError:
        return utcnow()


class ExecutionServicer(Servicer, pb_grpc.ExecutionServiceServicer):
    """Start, read, pause, resume, cancel executions and stream their events."""

    def __init__(
        self,
        authenticator: Authenticator,
        db: Database,
        executions: ExecutionService,
        events: ExecutionEventFeed,
    ) -> None:
        super().__init__(authenticator)
        self.db = db
        self.executions = executions
        self.events = events

    async def _audited(self, ctx: RequestContext, action: str, call: Callable[[], T]) -> T:
        """Run a service call in a thread, its writes audited as REST audits them."""

        def run() -> T:
            with audit.audited(ctx, action, AuditResourceType.EXECUTION, ExecutionRow):
                return call()

        return await asyncio.to_thread(run)

    @unary("execution:create")
    async def StartExecution(
        self, request: pb.StartExecutionRequest, ctx: RequestContext
    ) -> pb.StartExecutionResponse:
        data = ExecutionCreate.model_validate(
            {
                "workflow_id": parse_id(request.workflow_id, "workflow_id"),
                "input_params": from_struct(request.input_params),
                "trigger_type": request.trigger_type or "api",
                "metadata": dict(request.metadata),
            }
        )
        started = await self._audited(
            ctx,
            "execution.start",
            lambda: self.executions.start(ctx.tenant_id, data, triggered_by=ctx.user_id),
        )
        return pb.StartExecutionResponse(
            execution_id=str(started.id),
            status=status_to_proto(started.status),
            created_at=timestamp(started.created_at),
        )

    @unary("execution:read")
    async def GetExecutionStatus(
        self, request: pb.GetExecutionStatusRequest, ctx: RequestContext
    ) -> pb.GetExecutionStatusResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        found = await asyncio.to_thread(self.executions.get, ctx.tenant_id, execution_id)
        return pb.GetExecutionStatusResponse(execution=execution_to_proto(found))

    @unary("execution:pause")
    async def PauseExecution(
        self, request: pb.PauseExecutionRequest, ctx: RequestContext
    ) -> pb.PauseExecutionResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        paused = await self._audited(
            ctx, "execution.pause", lambda: self.executions.pause(ctx.tenant_id, execution_id)
        )
        return pb.PauseExecutionResponse(success=True, paused_at=timestamp(_paused_at(paused)))

    @unary("execution:resume")
    async def ResumeExecution(
        self, request: pb.ResumeExecutionRequest, ctx: RequestContext
    ) -> pb.ResumeExecutionResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        await self._audited(
            ctx,
            "execution.resume",
            lambda: self.executions.resume(
                ctx.tenant_id,
                execution_id,
                checkpoint_name=request.from_checkpoint or None,
                triggered_by=ctx.user_id,
            ),
        )
        return pb.ResumeExecutionResponse(success=True, resumed_at=timestamp(utcnow()))

    @unary("execution:cancel")
    async def CancelExecution(
        self, request: pb.CancelExecutionRequest, ctx: RequestContext
    ) -> pb.CancelExecutionResponse:
        execution_id = parse_id(request.execution_id, "execution_id")
        cancelled = await self._audited(
            ctx, "execution.cancel", lambda: self.executions.cancel(ctx.tenant_id, execution_id)
        )
        return pb.CancelExecutionResponse(
            success=True, cancelled_at=timestamp(cancelled.completed_at or utcnow())
        )

    @server_stream("execution:read")
    async def StreamExecutionEvents(
        self, request: pb.StreamExecutionEventsRequest, ctx: RequestContext
    ) -> AsyncIterator[pb.ExecutionEvent]:
        execution_id = parse_id(request.execution_id, "execution_id")
        async for event in self.events.follow(ctx, execution_id):
            yield pb.ExecutionEvent(
                event_type=event.event_type,
                timestamp=timestamp(event.created_at),
                data=struct({**event.payload, "event_id": event.id}),
            )
