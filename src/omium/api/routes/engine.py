"""Workflows, executions, checkpoints and failures: the engine's services over REST."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from omium.api.deps import Limit, Offset, RuntimeDep, require
from omium.api.errors import ERROR_RESPONSES
from omium.api.responses import json_response
from omium.schemas.common import Pagination
from omium.schemas.executions import ExecutionCreate, RecoverRequest, ResumeRequest
from omium.schemas.resources import (
    CheckpointCreate,
    CheckpointEnvelope,
    CheckpointPage,
    ExecutionEnvelope,
    ExecutionPage,
    FailurePage,
    RecoveryResponse,
    RollbackCreate,
    RollbackResponse,
    WorkflowEnvelope,
    WorkflowPage,
    WorkflowUpdate,
    WorkflowVersion,
)
from omium.schemas.workflows import WorkflowCreate
from omium.services import audit, checkpoint_api, workflow_admin
from omium.services.checkpoints import CheckpointService
from omium.services.context import RequestContext
from omium.services.executions import ExecutionService
from omium.services.recovery import RecoveryService
from omium.services.workflows import WorkflowService
from omium.store.models import Execution, Failure, RecoveryAction
from omium.types import AuditResourceType, ExecutionStatus, Severity

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@dataclass
class EngineServices:
    workflows: WorkflowService
    executions: ExecutionService
    recovery: RecoveryService
    checkpoints: CheckpointService


async def services_of(request: Request) -> EngineServices:
    services: EngineServices = request.app.state.engine_services
    return services


Svc = Annotated[EngineServices, Depends(services_of)]


# ------------------------------------------------------------------------------ workflows


@router.post("/workflows", operation_id="create_workflow", status_code=201, tags=["workflows"])
def create_workflow(
    body: WorkflowCreate,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("workflow:create"))],
) -> WorkflowEnvelope:
    """Create a workflow; its definition is validated and published as version 1."""
    return WorkflowEnvelope(workflow=workflow_admin.create(svc.workflows, ctx, body))


@router.get("/workflows", operation_id="list_workflows", tags=["workflows"])
def list_workflows(
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("workflow:read"))],
    limit: Limit,
    offset: Offset,
    status: Annotated[str | None, Query(pattern="^(draft|published|archived)$")] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
) -> WorkflowPage:
    return workflow_admin.list_(rt.db, ctx, status=status, tag=tag, limit=limit, offset=offset)


@router.get("/workflows/{workflow_id}", operation_id="get_workflow", tags=["workflows"])
def get_workflow(
    workflow_id: uuid.UUID,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("workflow:read"))],
) -> WorkflowEnvelope:
    return WorkflowEnvelope(workflow=svc.workflows.get(ctx.tenant_id, workflow_id))


@router.get(
    "/workflows/{workflow_id}/versions/{version}",
    operation_id="get_workflow_version",
    tags=["workflows"],
)
def get_workflow_version(
    workflow_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("workflow:read"))],
) -> WorkflowVersion:
    definition = svc.workflows.get_version(ctx.tenant_id, workflow_id, version)
    return WorkflowVersion(workflow_id=workflow_id, version=version, definition=definition)


@router.patch("/workflows/{workflow_id}", operation_id="update_workflow", tags=["workflows"])
def update_workflow(
    workflow_id: uuid.UUID,
    body: WorkflowUpdate,
    rt: RuntimeDep,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("workflow:update"))],
) -> WorkflowEnvelope:
    """Edit name, description, config, tags; a new `definition` becomes the next version
    (running executions keep the version they started with)."""
    return WorkflowEnvelope(
        workflow=workflow_admin.update(rt.db, svc.workflows, ctx, workflow_id, body)
    )


@router.post(
    "/workflows/{workflow_id}/publish", operation_id="publish_workflow", tags=["workflows"]
)
def publish_workflow(
    workflow_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("workflow:publish"))],
) -> WorkflowEnvelope:
    return WorkflowEnvelope(
        workflow=workflow_admin.set_status(rt.db, ctx, workflow_id, "published")
    )


@router.post(
    "/workflows/{workflow_id}/archive", operation_id="archive_workflow", tags=["workflows"]
)
def archive_workflow(
    workflow_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("workflow:archive"))],
) -> WorkflowEnvelope:
    """Archive: kept with its executions, but cannot start new ones until published again."""
    return WorkflowEnvelope(workflow=workflow_admin.set_status(rt.db, ctx, workflow_id, "archived"))


# ------------------------------------------------------------------------------ executions


@router.post(
    "/executions",
    operation_id="start_execution",
    status_code=201,
    tags=["executions"],
    response_model=ExecutionEnvelope,
)
def start_execution(
    body: ExecutionCreate,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:create"))],
    response: Response,
) -> Response:
    """Start an execution of the workflow's current version. It is `pending` until a worker
    claims it; beyond the tenant's `max_concurrent_executions` it waits (queued)."""
    with audit.audited(ctx, "execution.start", AuditResourceType.EXECUTION, Execution):
        out = svc.executions.start(ctx.tenant_id, body, triggered_by=ctx.user_id)
    envelope = ExecutionEnvelope(execution=out, message="Execution started successfully")
    return json_response(envelope, 201, response)


@router.get("/executions", operation_id="list_executions", tags=["executions"])
def list_executions(
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:read"))],
    limit: Limit,
    offset: Offset,
    status: ExecutionStatus | None = None,
    workflow_id: uuid.UUID | None = None,
) -> ExecutionPage:
    page = svc.executions.list(
        ctx.tenant_id,
        status=status.value if status else None,
        workflow_id=workflow_id,
        limit=limit,
        offset=offset,
    )
    return ExecutionPage(
        executions=page.executions,
        pagination=Pagination(total=page.total, limit=limit, offset=offset),
    )


@router.get(
    "/executions/{execution_id}",
    operation_id="get_execution",
    tags=["executions"],
    response_model=ExecutionEnvelope,
)
def get_execution(
    execution_id: uuid.UUID,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:read"))],
    response: Response,
) -> Response:
    """The execution with its progress and agents."""
    envelope = ExecutionEnvelope(execution=svc.executions.get(ctx.tenant_id, execution_id))
    return json_response(envelope, 200, response)


@router.post(
    "/executions/{execution_id}/pause", operation_id="pause_execution", tags=["executions"]
)
def pause_execution(
    execution_id: uuid.UUID,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:pause"))],
) -> ExecutionEnvelope:
    """Pause at the next step boundary (409 EXECUTION_CANNOT_PAUSE when it cannot)."""
    with audit.audited(ctx, "execution.pause", AuditResourceType.EXECUTION, Execution):
        out = svc.executions.pause(ctx.tenant_id, execution_id)
    return ExecutionEnvelope(execution=out, message="Execution paused successfully")


@router.post(
    "/executions/{execution_id}/resume", operation_id="resume_execution", tags=["executions"]
)
def resume_execution(
    execution_id: uuid.UUID,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:resume"))],
    body: Annotated[ResumeRequest | None, Body()] = None,
) -> ExecutionEnvelope:
    """Resume from where it stopped, or from the live checkpoint `checkpoint_name`."""
    name = body.checkpoint_name if body else None
    with audit.audited(ctx, "execution.resume", AuditResourceType.EXECUTION, Execution):
        out = svc.executions.resume(
            ctx.tenant_id, execution_id, checkpoint_name=name, triggered_by=ctx.user_id
        )
    where = out.current_checkpoint or "the start"
    return ExecutionEnvelope(execution=out, message=f"Execution resumed from checkpoint: {where}")


@router.post(
    "/executions/{execution_id}/cancel", operation_id="cancel_execution", tags=["executions"]
)
def cancel_execution(
    execution_id: uuid.UUID,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("execution:cancel"))],
) -> ExecutionEnvelope:
    """Cancel now; a running agent is interrupted."""
    with audit.audited(ctx, "execution.cancel", AuditResourceType.EXECUTION, Execution):
        out = svc.executions.cancel(ctx.tenant_id, execution_id)
    return ExecutionEnvelope(execution=out, message="Execution cancelled successfully")


@router.get(
    "/executions/{execution_id}/checkpoints",
    operation_id="list_execution_checkpoints",
    tags=["checkpoints"],
)
def list_execution_checkpoints(
    execution_id: uuid.UUID,
    rt: RuntimeDep,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("checkpoint:read"))],
    limit: Limit,
    offset: Offset,
    include_superseded: bool = False,
) -> CheckpointPage:
    """The execution's checkpoints in order (superseded ones, kept after a rollback, on ask)."""
    return checkpoint_api.list_for_execution(
        rt.db,
        svc.checkpoints,
        ctx,
        execution_id,
        include_superseded=include_superseded,
        limit=limit,
        offset=offset,
    )


# ------------------------------------------------------------------------------ checkpoints


@router.post(
    "/checkpoints", operation_id="create_checkpoint", status_code=201, tags=["checkpoints"]
)
def create_checkpoint(
    body: CheckpointCreate,
    rt: RuntimeDep,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("checkpoint:create"))],
) -> CheckpointEnvelope:
    """Snapshot a state (LLD §2.3). 429 QUOTA_EXCEEDED past `max_checkpoints_per_month`."""
    return CheckpointEnvelope(checkpoint=checkpoint_api.create(rt.db, svc.checkpoints, ctx, body))


@router.get("/checkpoints/{checkpoint_id}", operation_id="get_checkpoint", tags=["checkpoints"])
def get_checkpoint(
    checkpoint_id: uuid.UUID,
    rt: RuntimeDep,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("checkpoint:read"))],
) -> CheckpointEnvelope:
    return CheckpointEnvelope(
        checkpoint=checkpoint_api.get(rt.db, svc.checkpoints, ctx, checkpoint_id)
    )


@router.post(
    "/checkpoints/{checkpoint_id}/rollback",
    operation_id="rollback_to_checkpoint",
    tags=["checkpoints"],
)
def rollback_to_checkpoint(
    checkpoint_id: uuid.UUID,
    rt: RuntimeDep,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("checkpoint:rollback"))],
    body: Annotated[RollbackCreate | None, Body()] = None,
) -> RollbackResponse:
    """Restore the checkpoint's state; later checkpoints are superseded (kept); the execution
    is `rolled_back` until resumed."""
    reason = body.reason if body else "manual rollback"
    return checkpoint_api.rollback(rt.db, svc.executions, ctx, checkpoint_id, reason)


# ------------------------------------------------------------------------------ failures


@router.get("/failures", operation_id="list_failures", tags=["failures"])
def list_failures(
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("failure:read"))],
    limit: Limit,
    offset: Offset,
    execution_id: uuid.UUID | None = None,
    severity: Severity | None = None,
    status: Annotated[
        str | None, Query(pattern="^(pending|in_progress|completed|failed|cancelled|resolved)$")
    ] = None,
) -> FailurePage:
    failures, total = svc.recovery.list_failures(
        ctx.tenant_id,
        execution_id=execution_id,
        severity=severity.value if severity else None,
        status=status,
        limit=limit,
        offset=offset,
    )
    return FailurePage(
        failures=failures, pagination=Pagination(total=total, limit=limit, offset=offset)
    )


@router.post("/failures/{failure_id}/recover", operation_id="recover_failure", tags=["failures"])
def recover_failure(
    failure_id: uuid.UUID,
    body: RecoverRequest,
    svc: Svc,
    ctx: Annotated[RequestContext, Depends(require("failure:recover"))],
) -> RecoveryResponse:
    """Apply a recovery action (retry, rollback, prompt_edit, ...); the execution retries."""
    with audit.audited(
        ctx, "failure.recover", AuditResourceType.EXECUTION, Execution, Failure, RecoveryAction
    ):
        action = svc.recovery.recover_failure(
            ctx.tenant_id, failure_id, body, triggered_by=ctx.user_id
        )
    return RecoveryResponse(
        recovery_action=action,
        message="Recovery action applied, execution retrying from checkpoint",
    )
