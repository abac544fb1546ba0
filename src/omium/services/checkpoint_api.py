"""Checkpoints over the API (LLD §2.3): create (within the tenant's monthly quota), read, list,
roll back. Storage is the checkpoint service's; the rollback is the execution service's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from omium.errors import QuotaExceededError
from omium.schemas.common import Pagination
from omium.schemas.resources import Checkpoint as CheckpointOut
from omium.schemas.resources import CheckpointCreate, CheckpointPage, Rollback, RollbackResponse
from omium.services import audit
from omium.services.checkpoints import CheckpointService
from omium.services.context import RequestContext
from omium.services.executions import ExecutionService
from omium.store.db import Database
from omium.store.models import Checkpoint, Execution, Tenant
from omium.store.models import Rollback as RollbackRow
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

DEFAULT_MONTHLY_QUOTA = 50000


def to_out(row: Checkpoint) -> CheckpointOut:
    return CheckpointOut.from_row(row)


def _check_quota(uow: UnitOfWork, tenant_id: uuid.UUID) -> None:
    limit = uow.session.scalar(
        select(Tenant.max_checkpoints_per_month).where(Tenant.id == tenant_id)
    )
    limit = DEFAULT_MONTHLY_QUOTA if limit is None else limit
    now = datetime.now(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    used = uow.session.scalar(
        select(func.count())
        .select_from(Checkpoint)
        .join(Execution, Execution.id == Checkpoint.execution_id)
        .where(Execution.tenant_id == tenant_id, Checkpoint.created_at >= month)
    )
    if int(used or 0) >= limit:
        raise QuotaExceededError(
            f"Monthly checkpoint quota of {limit} reached",
            details={"quota": "max_checkpoints_per_month", "limit": limit, "used": int(used or 0)},
        )


def create(
    db: Database, checkpoints: CheckpointService, ctx: RequestContext, body: CheckpointCreate
) -> CheckpointOut:
    with UnitOfWork(db) as uow:
        _check_quota(uow, ctx.tenant_id)
        row = checkpoints.create(
            uow,
            ctx.tenant_id,
            body.execution_id,
            body.checkpoint_name,
            body.state,
            agent_id=body.agent_id,
            metadata=body.metadata,
            preconditions=body.preconditions,
            postconditions=body.postconditions,
        )
        audit.record(
            uow,
            ctx,
            "checkpoint.create",
            AuditResourceType.CHECKPOINT,
            row.id,
            None,
            {
                "execution_id": row.execution_id,
                "checkpoint_name": row.checkpoint_name,
                "checksum": row.checksum,
                "state_size_bytes": row.state_size_bytes,
            },
        )
        uow.commit()
        return to_out(row)


def get(
    db: Database, checkpoints: CheckpointService, ctx: RequestContext, checkpoint_id: uuid.UUID
) -> CheckpointOut:
    with UnitOfWork(db, read_only=True) as uow:
        return to_out(checkpoints.get(uow, ctx.tenant_id, checkpoint_id))


def list_for_execution(
    db: Database,
    checkpoints: CheckpointService,
    ctx: RequestContext,
    execution_id: uuid.UUID,
    *,
    include_superseded: bool,
    limit: int,
    offset: int,
) -> CheckpointPage:
    with UnitOfWork(db, read_only=True) as uow:
        rows = checkpoints.list_for_execution(
            uow,
            ctx.tenant_id,
            execution_id,
            include_superseded=include_superseded,
            limit=limit,
            offset=offset,
        )
        total = checkpoints.count_for_execution(
            uow, ctx.tenant_id, execution_id, include_superseded=include_superseded
        )
        return CheckpointPage(
            checkpoints=[to_out(r) for r in rows],
            pagination=Pagination(total=total, limit=limit, offset=offset),
        )


def delete(
    db: Database, checkpoints: CheckpointService, ctx: RequestContext, checkpoint_id: uuid.UUID
) -> None:
    """Delete a checkpoint (409 while a rollback or a failure record names it)."""
    with UnitOfWork(db) as uow:
        row = checkpoints.get(uow, ctx.tenant_id, checkpoint_id)
        old = {"execution_id": row.execution_id, "checkpoint_name": row.checkpoint_name}
        checkpoints.delete(uow, ctx.tenant_id, checkpoint_id)
        audit.record(
            uow, ctx, "checkpoint.delete", AuditResourceType.CHECKPOINT, checkpoint_id, old, None
        )
        uow.commit()


def rollback(
    db: Database,
    executions: ExecutionService,
    ctx: RequestContext,
    checkpoint_id: uuid.UUID,
    reason: str,
) -> RollbackResponse:
    with audit.audited(ctx, "checkpoint.rollback", AuditResourceType.EXECUTION, Execution):
        execution = executions.rollback_to_checkpoint(
            ctx.tenant_id, checkpoint_id, reason=reason, triggered_by=ctx.user_id
        )
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.session.scalar(
            select(RollbackRow)
            .where(
                RollbackRow.execution_id == execution.id,
                RollbackRow.to_checkpoint_id == checkpoint_id,
            )
            .order_by(RollbackRow.started_at.desc())
            .limit(1)
        )
        assert row is not None
        out = Rollback.model_validate(row)
    return RollbackResponse(
        rollback=out, execution=execution, message="Rollback completed successfully"
    )
