"""What the engine reads and writes about one execution, in the caller's transaction.

The runner keeps an execution's rows in memory for the whole run (definition, agents rows,
checkpoint names); this module turns its decisions into statements. Every write statement of
a step boundary goes through here, so one boundary is one transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.engine import driver
from omium.store.models import (
    Agent,
    Checkpoint,
    Execution,
    ExecutionEvent,
    RecoveryAction,
    StepAttempt,
    WorkflowDefinition,
)
from omium.store.uow import UnitOfWork

EXECUTIONS = cast(Table, Execution.__table__)
AGENTS = cast(Table, Agent.__table__)
ATTEMPTS = cast(Table, StepAttempt.__table__)
CHECKPOINTS = cast(Table, Checkpoint.__table__)
EVENTS = cast(Table, ExecutionEvent.__table__)


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
    rows = driver.update(
        session,
        EXECUTIONS,
        {"lease_expires_at": lease_until, "heartbeat_at": now, "updated_at": now, **values},
        {"id": execution_id, "lease_owner": worker_id},
        returning=("status",),
    )
    if not rows:
        raise LeaseLost(str(execution_id))
    return str(rows[0][0])


def insert_agents(session: Session, rows: list[dict[str, Any]]) -> None:
    driver.insert(session, AGENTS, rows)


def update_agent(session: Session, agent_id: uuid.UUID, **values: Any) -> None:
    driver.update(session, AGENTS, {"updated_at": utcnow(), **values}, {"id": agent_id})


def insert_attempts(session: Session, rows: list[dict[str, Any]]) -> None:
    driver.insert(session, ATTEMPTS, rows)


def finish_attempt(
    session: Session, attempt_id: uuid.UUID, status: str, error: str | None = None
) -> None:
    driver.update(
        session,
        ATTEMPTS,
        {"status": status, "finished_at": utcnow(), "error": error},
        {"id": attempt_id},
    )


def interrupt_attempts(
    session: Session,
    execution_id: uuid.UUID,
    status: str = "interrupted",
    at: datetime | None = None,
) -> None:
    """Close attempts left running by a worker that died or let go."""
    driver.update(
        session,
        ATTEMPTS,
        {"status": status, "finished_at": at or utcnow()},
        {"execution_id": execution_id, "status": "running"},
    )


@dataclass
class BoundaryWrites:
    """The row changes of one step boundary besides checkpoints, applied in one statement on
    PostgreSQL (data-modifying CTEs) together with the fenced execution update."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    finished_attempts: list[dict[str, Any]] = field(default_factory=list)
    new_attempts: list[dict[str, Any]] = field(default_factory=list)
    checkpoint_agents: list[dict[str, Any]] = field(default_factory=list)


def _naive(value: datetime | None) -> str | None:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


def _naive_dt(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _jsonable_rows(rows: list[dict[str, Any]]) -> str:
    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return _naive(v)
        if isinstance(v, uuid.UUID):
            return str(v)
        return v

    return json.dumps([{k: conv(v) for k, v in r.items()} for r in rows])


_PG_BOUNDARY = """
WITH
ag AS (
  UPDATE agents a SET
    status = v.status,
    started_at = COALESCE(v.started_at, a.started_at),
    completed_at = COALESCE(v.completed_at, a.completed_at),
    output = COALESCE(v.output, a.output),
    duration_ms = COALESCE(v.duration_ms, a.duration_ms),
    error = v.error,
    updated_at = :now
  FROM jsonb_to_recordset(CAST(:agents AS jsonb)) AS v(
    id uuid, status text, started_at timestamp, completed_at timestamp, output jsonb,
    duration_ms int, error text)
  WHERE a.id = v.id RETURNING 1),
af AS (
  UPDATE step_attempts t SET status = v.status, finished_at = :now,
    error = v.error
  FROM jsonb_to_recordset(CAST(:finished AS jsonb)) AS v(id uuid, status text, error text)
  WHERE t.id = v.id RETURNING 1),
ai AS (
  INSERT INTO step_attempts (id, execution_id, step, agent_name, attempt, worker_id, status,
                             started_at)
  SELECT v.id, v.execution_id, v.step, v.agent_name, v.attempt, v.worker_id, v.status,
         v.started_at
  FROM jsonb_to_recordset(CAST(:attempts AS jsonb)) AS v(
    id uuid, execution_id uuid, step int, agent_name text, attempt int, worker_id text,
    status text, started_at timestamp)
  RETURNING 1),
ck AS (
  UPDATE checkpoints c SET agent_id = v.agent_id
  FROM jsonb_to_recordset(CAST(:checkpoints AS jsonb)) AS v(id uuid, agent_id uuid)
  WHERE c.id = v.id RETURNING 1),
ev AS (
  INSERT INTO execution_events (tenant_id, execution_id, event_type, payload, created_at)
  SELECT v.tenant_id, v.execution_id, v.event_type, v.payload, v.created_at
  FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS v(
    tenant_id uuid, execution_id uuid, event_type text, payload jsonb, created_at timestamp)
  RETURNING 1)
UPDATE executions SET
  lease_expires_at = :lease_until,
  heartbeat_at = :now,
  updated_at = :now,
  current_checkpoint = COALESCE(CAST(:current AS varchar), current_checkpoint),
  last_successful_checkpoint = COALESCE(CAST(:last_ok AS varchar), last_successful_checkpoint)
WHERE id = :id AND lease_owner = :owner
RETURNING status
"""


_SQLITE_AGENT = """
UPDATE agents SET
  status = :status,
  started_at = coalesce(:started_at, started_at),
  completed_at = coalesce(:completed_at, completed_at),
  output = coalesce(:output, output),
  duration_ms = coalesce(:duration_ms, duration_ms),
  error = :error,
  updated_at = :now
WHERE id = :id
"""
_SQLITE_FINISH = (
    "UPDATE step_attempts SET status = :status, finished_at = :now, error = :error WHERE id = :id"
)
_SQLITE_CHECKPOINT_AGENT = "UPDATE checkpoints SET agent_id = :agent_id WHERE id = :id"
_AGENT_KEYS = ("status", "started_at", "completed_at", "output", "duration_ms", "error")


def apply_boundary(
    session: Session,
    execution_id: uuid.UUID,
    worker_id: str,
    lease_until: datetime,
    writes: BoundaryWrites,
    event_rows: list[dict[str, Any]],
    *,
    current_checkpoint: str | None,
    last_successful_checkpoint: str | None,
) -> str:
    """Apply a boundary's rows and the fenced execution update; returns the status.

    PostgreSQL: one statement (one round trip). Elsewhere: one statement per kind of row.
    Raises LeaseLost when this worker no longer holds the execution.
    """
    now = utcnow()
    if driver.is_pg(session):
        params = {
            "now": _naive_dt(now),
            "lease_until": _naive_dt(lease_until),
            "agents": _jsonable_rows([{"error": None, "output": None, **a} for a in writes.agents]),
            "finished": _jsonable_rows(writes.finished_attempts),
            "attempts": _jsonable_rows(writes.new_attempts),
            "checkpoints": _jsonable_rows(writes.checkpoint_agents),
            "events": _jsonable_rows(event_rows),
            "current": current_checkpoint,
            "last_ok": last_successful_checkpoint,
            "id": execution_id,
            "owner": worker_id,
        }
        rows = driver.execute(session, "journal.boundary", _PG_BOUNDARY, params)
        if not rows:
            raise LeaseLost(str(execution_id))
        return str(rows[0][0])
    dialect = session.get_bind().dialect
    cur = driver.cursor(session)
    try:
        if writes.agents:
            procs = driver.processors(dialect, AGENTS)
            stamp = procs["updated_at"]
            at = stamp(now) if stamp else now
            cur.executemany(
                _SQLITE_AGENT,
                [
                    {
                        **driver.bind(procs, {k: a.get(k) for k in _AGENT_KEYS}),
                        "now": at,
                        "id": procs["id"](a["id"]) if procs["id"] else a["id"],
                    }
                    for a in writes.agents
                ],
            )
        if writes.finished_attempts:
            procs = driver.processors(dialect, ATTEMPTS)
            finished = driver.bind(procs, {"finished_at": now})["finished_at"]
            cur.executemany(
                _SQLITE_FINISH,
                [
                    {
                        **driver.bind(
                            procs, {"id": f["id"], "status": f["status"], "error": f.get("error")}
                        ),
                        "now": finished,
                    }
                    for f in writes.finished_attempts
                ],
            )
        if writes.checkpoint_agents:
            procs = driver.processors(dialect, CHECKPOINTS)
            cur.executemany(
                _SQLITE_CHECKPOINT_AGENT, [driver.bind(procs, c) for c in writes.checkpoint_agents]
            )
    finally:
        cur.close()
    insert_attempts(session, writes.new_attempts)
    driver.insert(session, EVENTS, event_rows)
    values: dict[str, Any] = {}
    if current_checkpoint is not None:
        values["current_checkpoint"] = current_checkpoint
    if last_successful_checkpoint is not None:
        values["last_successful_checkpoint"] = last_successful_checkpoint
    return fence(session, execution_id, worker_id, lease_until, **values)
