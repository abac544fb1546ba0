"""What the engine reads and writes about one execution, in the caller's transaction.

The runner keeps an execution's rows in memory for the whole run (definition, agents rows,
checkpoint names); this module turns its decisions into statements. Every write statement of
a step boundary goes through here, so one boundary is one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.store.models import (
    Agent,
    Checkpoint,
    Execution,
    RecoveryAction,
    StepAttempt,
    WorkflowDefinition,
)
from omium.store.uow import UnitOfWork

EXECUTIONS = cast(Table, Execution.__table__)
AGENTS = cast(Table, Agent.__table__)
ATTEMPTS = cast(Table, StepAttempt.__table__)


class CheckpointStore(Protocol):
    """The part of the checkpoint service (issue 3) the engine uses."""

    def create(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        index: int | None = None,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> Checkpoint: ...

    def get_state(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, checkpoint: uuid.UUID | Checkpoint
    ) -> Any: ...

    def mark_superseded(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, execution_id: uuid.UUID, after_index: int
    ) -> int: ...


def uuid_array(session: Session, ids: list[uuid.UUID]) -> list[Any]:
    """A UUID[] value: UUIDs on PostgreSQL, strings in SQLite's JSON array."""
    if session.get_bind().dialect.name == "postgresql":
        return list(ids)
    return [str(i) for i in ids]


class LeaseLost(Exception):
    """This worker no longer holds the execution (cancelled, rolled back, taken over)."""


@dataclass(frozen=True)
class CheckpointRef:
    id: uuid.UUID
    name: str
    index: int
    step: int | None
    kind: str


@dataclass
class Snapshot:
    """An execution as the runner finds it when it (re)starts."""

    execution: Execution
    definition: dict[str, Any]
    checkpoints: list[CheckpointRef]
    agents: dict[int, uuid.UUID]
    attempts: list[StepAttempt] = field(default_factory=list)
    #: recovery actions in progress (a manual retry/prompt_edit): step -> (action, failure)
    actions: dict[int, tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)


def load_snapshot(uow: UnitOfWork, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> Snapshot:
    session = uow.session
    execution = uow.repo(Execution, tenant_id).require(execution_id)
    definition = session.scalar(
        select(WorkflowDefinition.definition).where(
            WorkflowDefinition.workflow_id == execution.workflow_id,
            WorkflowDefinition.version == execution.workflow_version,
        )
    )
    if definition is None:
        from omium.errors import ErrorCode, NotFoundError

        raise NotFoundError(
            f"workflow {execution.workflow_id} has no version {execution.workflow_version}",
            code=ErrorCode.WORKFLOW_NOT_FOUND,
        )
    rows = session.execute(
        select(
            Checkpoint.id,
            Checkpoint.checkpoint_name,
            Checkpoint.checkpoint_index,
            Checkpoint.metadata_,
        )
        .where(Checkpoint.execution_id == execution_id, Checkpoint.superseded_at.is_(None))
        .order_by(Checkpoint.checkpoint_index)
    ).all()
    checkpoints = [
        CheckpointRef(r[0], r[1], r[2], (r[3] or {}).get("step"), (r[3] or {}).get("kind", ""))
        for r in rows
    ]
    agents = {
        int(cfg["step"]): aid
        for aid, cfg in session.execute(
            select(Agent.id, Agent.config).where(Agent.execution_id == execution_id)
        ).all()
        if isinstance(cfg, dict) and cfg.get("step") is not None
    }
    attempts = list(
        session.scalars(
            select(StepAttempt)
            .where(StepAttempt.execution_id == execution_id)
            .order_by(StepAttempt.started_at)
        )
    )
    actions: dict[int, tuple[uuid.UUID, uuid.UUID]] = {}
    for aid, fid, cfg in session.execute(
        select(RecoveryAction.id, RecoveryAction.failure_id, RecoveryAction.action_config).where(
            RecoveryAction.execution_id == execution_id, RecoveryAction.status == "in_progress"
        )
    ).all():
        step = (cfg or {}).get("step")
        if step is not None:
            actions[int(step)] = (aid, fid)
    return Snapshot(execution, definition, checkpoints, agents, attempts, actions)


def fence(
    session: Session,
    execution_id: uuid.UUID,
    worker_id: str,
    lease_until: datetime,
    **values: Any,
) -> str:
    """Renew the lease and apply ``values`` to the execution, only while we hold it.

    Returns the execution's status; raises LeaseLost when another owner (or nobody) holds it.
    Every boundary transaction starts here: its row lock orders us against the control
    services, and a worker that lost its lease can commit nothing.
    """
    now = utcnow()
    status = session.execute(
        update(EXECUTIONS)
        .where(EXECUTIONS.c.id == execution_id, EXECUTIONS.c.lease_owner == worker_id)
        .values({"lease_expires_at": lease_until, "heartbeat_at": now, "updated_at": now, **values})
        .returning(EXECUTIONS.c.status)
    ).scalar_one_or_none()
    if status is None:
        raise LeaseLost(str(execution_id))
    return str(status)


def insert_agents(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AGENTS), rows)


def update_agent(session: Session, agent_id: uuid.UUID, **values: Any) -> None:
    session.execute(
        update(AGENTS).where(AGENTS.c.id == agent_id).values(updated_at=utcnow(), **values)
    )


def insert_attempts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ATTEMPTS), rows)


def finish_attempt(
    session: Session, attempt_id: uuid.UUID, status: str, error: str | None = None
) -> None:
    session.execute(
        update(ATTEMPTS)
        .where(ATTEMPTS.c.id == attempt_id)
        .values(status=status, finished_at=utcnow(), error=error)
    )


def interrupt_attempts(
    session: Session,
    execution_id: uuid.UUID,
    status: str = "interrupted",
    at: datetime | None = None,
) -> None:
    """Close attempts left running by a worker that died or let go."""
    session.execute(
        update(ATTEMPTS)
        .where(ATTEMPTS.c.execution_id == execution_id, ATTEMPTS.c.status == "running")
        .values(status=status, finished_at=at or utcnow())
    )
