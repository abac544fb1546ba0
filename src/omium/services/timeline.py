"""What happened in one execution, read back in one transaction: the demo's timeline and
``omium executions show --local``.

Steps (agents rows), checkpoints with their sizes (superseded ones included), failures with
their suggested fixes, recovery actions and rollbacks, in the order they happened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from omium.errors import ErrorCode, NotFoundError
from omium.store.db import Database
from omium.store.models import (
    Agent,
    Checkpoint,
    Execution,
    Failure,
    RecoveryAction,
    Rollback,
)
from omium.store.uow import UnitOfWork


@dataclass(frozen=True)
class StepRecord:
    name: str
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    duration_ms: int | None
    error: str | None


@dataclass(frozen=True)
class CheckpointRecord:
    id: uuid.UUID
    name: str
    index: int
    size_bytes: int
    checksum: str
    created_at: datetime
    superseded: bool


@dataclass(frozen=True)
class FailureRecord:
    id: uuid.UUID
    failure_type: str
    severity: str
    message: str
    root_cause: str | None
    suggested_fix: str | None
    recovery_status: str | None
    detected_at: datetime


@dataclass(frozen=True)
class ActionRecord:
    id: uuid.UUID
    failure_id: uuid.UUID
    action_type: str
    status: str | None
    success: bool | None
    config: dict[str, Any]
    triggered_at: datetime


@dataclass(frozen=True)
class RollbackRecord:
    id: uuid.UUID
    to_checkpoint: str
    reason: str
    trigger_type: str | None
    status: str | None
    started_at: datetime


@dataclass(frozen=True)
class Timeline:
    execution_id: uuid.UUID
    workflow_id: uuid.UUID
    status: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_ms: int | None
    current_checkpoint: str | None
    error: str | None
    result: dict[str, Any] | None
    retry_count: int
    steps: list[StepRecord] = field(default_factory=list)
    checkpoints: list[CheckpointRecord] = field(default_factory=list)
    failures: list[FailureRecord] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    rollbacks: list[RollbackRecord] = field(default_factory=list)


def execution_timeline(db: Database, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> Timeline:
    """Everything recorded about one execution of ``tenant_id`` (NotFoundError otherwise)."""
    with UnitOfWork(db, read_only=True) as uow:
        ex = uow.repo(Execution, tenant_id).get(execution_id)
        if ex is None:
            raise NotFoundError(
                f"Execution with ID '{execution_id}' not found",
                code=ErrorCode.EXECUTION_NOT_FOUND,
                details={"execution_id": str(execution_id)},
            )
        s = uow.session
        # Every row below hangs off an execution the tenant owns (checked above).
        agents = s.scalars(
            select(Agent).where(Agent.execution_id == ex.id).order_by(Agent.created_at)
        ).all()
        checkpoints = s.scalars(
            select(Checkpoint)
            .where(Checkpoint.execution_id == ex.id)
            .order_by(Checkpoint.created_at, Checkpoint.checkpoint_index)
        ).all()
        names = {cp.id: cp.checkpoint_name for cp in checkpoints}
        failures = s.scalars(
            select(Failure).where(Failure.execution_id == ex.id).order_by(Failure.detected_at)
        ).all()
        actions = s.scalars(
            select(RecoveryAction)
            .where(RecoveryAction.execution_id == ex.id)
            .order_by(RecoveryAction.triggered_at)
        ).all()
        rollbacks = s.scalars(
            select(Rollback).where(Rollback.execution_id == ex.id).order_by(Rollback.started_at)
        ).all()
        return Timeline(
            execution_id=ex.id,
            workflow_id=ex.workflow_id,
            status=ex.status,
            created_at=ex.created_at,
            started_at=ex.started_at,
            completed_at=ex.completed_at,
            duration_ms=ex.duration_ms,
            current_checkpoint=ex.current_checkpoint,
            error=ex.error,
            result=ex.result,
            retry_count=ex.retry_count or 0,
            steps=[
                StepRecord(a.name, a.status, a.started_at, a.completed_at, a.duration_ms, a.error)
                for a in agents
            ],
            checkpoints=[
                CheckpointRecord(
                    cp.id,
                    cp.checkpoint_name,
                    cp.checkpoint_index,
                    cp.state_size_bytes,
                    cp.checksum,
                    cp.created_at,
                    cp.superseded_at is not None,
                )
                for cp in checkpoints
            ],
            failures=[
                FailureRecord(
                    f.id,
                    f.failure_type,
                    f.severity,
                    f.error_message,
                    f.root_cause,
                    f.suggested_fix,
                    f.recovery_status,
                    f.detected_at,
                )
                for f in failures
            ],
            actions=[
                ActionRecord(
                    a.id,
                    a.failure_id,
                    a.action_type,
                    a.status,
                    a.success,
                    dict(a.action_config or {}),
                    a.triggered_at,
                )
                for a in actions
            ],
            rollbacks=[
                RollbackRecord(
                    r.id,
                    names.get(r.to_checkpoint_id, str(r.to_checkpoint_id)),
                    r.trigger_reason,
                    r.trigger_type,
                    r.status,
                    r.started_at,
                )
                for r in rollbacks
            ],
        )


def recent_executions(
    db: Database, tenant_id: uuid.UUID, *, limit: int = 20
) -> list[tuple[uuid.UUID, str, datetime, int | None]]:
    """(id, status, created_at, duration_ms) of the tenant's newest executions."""
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.repo(Execution, tenant_id).list(
            order_by=[Execution.created_at.desc()], limit=limit
        )
        return [(r.id, r.status, r.created_at, r.duration_ms) for r in rows]
