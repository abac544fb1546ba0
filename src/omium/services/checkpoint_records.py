"""Checkpoints as a caller outside the engine sees them: one transaction per call.

The checkpoint service (``services/checkpoints.py``) works inside its caller's unit of work, so
the engine can write a checkpoint together with the rest of a step. The edges (gRPC, REST, the
SDK) call this module instead: it opens the unit of work, commits, and answers with the
shared schemas. Rollback is the execution service's (it moves the execution too).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from omium.errors import ErrorCode, NotFoundError
from omium.schemas.checkpoint_requests import (
    CheckpointCreate,
    CheckpointPage,
    CheckpointRollback,
    RollbackResult,
)
from omium.schemas.checkpoints import Checkpoint as CheckpointOut
from omium.schemas.checkpoints import Rollback as RollbackOut
from omium.services.checkpoints import CheckpointService
from omium.services.executions import ExecutionService
from omium.store.db import Database
from omium.store.models import Checkpoint, Rollback
from omium.store.uow import UnitOfWork

MAX_PAGE = 1000


def checkpoint_out(row: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        id=row.id,
        execution_id=row.execution_id,
        agent_id=row.agent_id,
        checkpoint_name=row.checkpoint_name,
        checkpoint_index=row.checkpoint_index,
        state_size_bytes=row.state_size_bytes,
        state_blob_uri=row.state_blob_uri,
        checksum=row.checksum,
        validation_passed=row.validation_passed,
        superseded_at=row.superseded_at,
        created_at=row.created_at,
        metadata=dict(row.metadata_ or {}),
    )


class CheckpointRecords:
    def __init__(
        self, db: Database, checkpoints: CheckpointService, executions: ExecutionService
    ) -> None:
        self._db = db
        self._checkpoints = checkpoints
        self._executions = executions

    def create(self, tenant_id: uuid.UUID, data: CheckpointCreate) -> CheckpointOut:
        with UnitOfWork(self._db) as uow:
            row = self._checkpoints.create(
                uow,
                tenant_id,
                data.execution_id,
                data.checkpoint_name,
                data.state,
                agent_id=data.agent_id,
                preconditions=data.preconditions,
                postconditions=data.postconditions,
                metadata=data.metadata,
            )
            uow.commit()
            return checkpoint_out(row)

    def get(self, tenant_id: uuid.UUID, checkpoint_id: uuid.UUID) -> CheckpointOut:
        with UnitOfWork(self._db, read_only=True) as uow:
            return checkpoint_out(self._checkpoints.get(uow, tenant_id, checkpoint_id))

    def list(
        self, tenant_id: uuid.UUID, execution_id: uuid.UUID, *, limit: int = 100, offset: int = 0
    ) -> CheckpointPage:
        """The execution's live checkpoints in index order, one page of them."""
        limit = max(1, min(limit, MAX_PAGE))
        with UnitOfWork(self._db, read_only=True) as uow:
            rows = self._checkpoints.list_for_execution(
                uow, tenant_id, execution_id, limit=limit, offset=max(0, offset)
            )
            total = self._checkpoints.count_for_execution(uow, tenant_id, execution_id)
            return CheckpointPage(checkpoints=[checkpoint_out(row) for row in rows], total=total)

    def delete(self, tenant_id: uuid.UUID, checkpoint_id: uuid.UUID) -> None:
        with UnitOfWork(self._db) as uow:
            self._checkpoints.delete(uow, tenant_id, checkpoint_id)
            uow.commit()

    def rollback(
        self,
        tenant_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        data: CheckpointRollback,
        *,
        execution_id: uuid.UUID | None = None,
        triggered_by: uuid.UUID | None = None,
    ) -> RollbackResult:
        """Roll the checkpoint's execution back to it (``execution_id``, when given, must be
        the checkpoint's)."""
        if execution_id is not None and self.get(tenant_id, checkpoint_id).execution_id != (
            execution_id
        ):
            raise NotFoundError(
                f"Checkpoint with ID '{checkpoint_id}' not found in execution '{execution_id}'",
                code=ErrorCode.CHECKPOINT_NOT_FOUND,
                details={"checkpoint_id": str(checkpoint_id), "execution_id": str(execution_id)},
            )
        execution = self._executions.rollback_to_checkpoint(
            tenant_id, checkpoint_id, reason=data.reason, triggered_by=triggered_by
        )
        with UnitOfWork(self._db, read_only=True) as uow:
            row = uow.session.scalars(
                select(Rollback)
                .where(
                    Rollback.execution_id == execution.id,
                    Rollback.to_checkpoint_id == checkpoint_id,
                )
                .order_by(Rollback.started_at.desc())
                .limit(1)
            ).one()
            rollback = RollbackOut(
                id=row.id,
                execution_id=row.execution_id,
                from_checkpoint_id=row.from_checkpoint_id,
                to_checkpoint_id=row.to_checkpoint_id,
                status=row.status,
                completed_at=row.completed_at,
            )
        return RollbackResult(rollback=rollback, execution=execution)
