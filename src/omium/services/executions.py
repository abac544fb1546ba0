"""Executions: start, read, pause, resume, cancel, roll back (each call one transaction).

Status changes go through :mod:`omium.domain.transitions`. Changes that take an execution
away from its worker (cancel, rollback) clear the lease: the worker's next write is fenced
off and its runner is interrupted (at once in this process, via the event bus; at the next
heartbeat elsewhere).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update

from omium.clock import utcnow
from omium.domain.transitions import Action, check_transition
from omium.domain.workflow import PINNED_AGENT_CONFIGS, check_input_params
from omium.domain.workflow import WorkflowDefinition as ParsedDefinition
from omium.engine import claims, driver, journal
from omium.engine.events import EventBatch, EventBus
from omium.errors import CheckpointCorruptedError, ConflictError, ErrorCode, NotFoundError
from omium.ids import time_ordered_uuid
from omium.schemas.executions import AgentSummary, ExecutionCreate, ExecutionList, Progress
from omium.schemas.executions import Execution as ExecutionOut
from omium.services import agent_configs, audit
from omium.services.definition_cache import definitions
from omium.store.db import Database
from omium.store.models import (
    Agent,
    AuditLog,
    Base,
    Checkpoint,
    Execution,
    ExecutionEvent,
    RecoveryAction,
    Rollback,
    StepAttempt,
    Workflow,
    WorkflowDefinition,
)
from omium.store.multi_insert import insert_rows
from omium.store.uow import UnitOfWork
from omium.types import ExecutionStatus


def to_schema(uow: UnitOfWork, row: Execution) -> ExecutionOut:
    agents = list(
        uow.session.scalars(
            select(Agent).where(Agent.execution_id == row.id).order_by(Agent.created_at, Agent.name)
        )
    )
    total = len(agents)
    if not total:
        definition = uow.session.scalar(
            select(WorkflowDefinition.definition).where(
                WorkflowDefinition.workflow_id == row.workflow_id,
                WorkflowDefinition.version == row.workflow_version,
            )
        )
        total = len((definition or {}).get("flow", []))
    return execution_out(row, agents, total)


def execution_out(row: Any, agents: Sequence[Any], total: int) -> ExecutionOut:
    """The response of an execution ``row`` (an ORM row or a Core row labelled with the
    attribute names) with its ``agents`` and its flow's ``total`` steps."""
    agents = sorted(agents, key=lambda a: (a.config or {}).get("step", 0))
    done = sum(1 for a in agents if a.status == "completed")
    running = any(a.status == "running" for a in agents)
    current = min(total, done + (1 if running else 0)) if total else 0
    return ExecutionOut(
        id=row.id,
        workflow_id=row.workflow_id,
        tenant_id=row.tenant_id,
        status=ExecutionStatus(row.status),
        workflow_version=row.workflow_version,
        trigger_type=row.trigger_type,
        created_at=row.created_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        current_checkpoint=row.current_checkpoint,
        last_successful_checkpoint=row.last_successful_checkpoint,
        progress=Progress(
            current_step=current,
            total_steps=total,
            percentage=round(100.0 * done / total, 1) if total else 0.0,
        ),
        agents=[
            AgentSummary(
                id=a.id,
                name=a.name,
                agent_type=a.agent_type,
                status=a.status,
                duration_ms=a.duration_ms,
                output=a.output,
                error=a.error,
            )
            for a in agents
        ],
        input_params=row.input_params,
        result=row.result,
        output=row.output,
        error=row.error,
        duration_ms=row.duration_ms,
        checkpoint_count=row.checkpoint_count or 0,
        retry_count=row.retry_count or 0,
        metadata=dict(row.metadata_ or {}),
    )


def column_values(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` keyed by attribute name, keyed by column name (for a table-level INSERT,
    which skips the ORM's bulk machinery); column defaults still apply."""
    columns = _column_names(model)
    return {columns[k]: v for k, v in values.items()}


@functools.cache
def _column_names(model: type[Base]) -> dict[str, str]:
    return {a.key: a.columns[0].name for a in model.__mapper__.column_attrs}


_EXECUTIONS = cast(Table, Execution.__table__)
_AUDIT_LOGS = cast(Table, AuditLog.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_AGENT_FIELDS = ("id", "name", "agent_type", "status", "duration_ms", "output", "error", "config")
_EXECUTION_FIELDS = [(a.key, a.columns[0].name) for a in Execution.__mapper__.column_attrs]
_EXECUTION_SELECT = ", ".join(f"e.{column}" for _, column in _EXECUTION_FIELDS)
# An execution and its agents in one row: the agents as one JSON array, so the execution's
# own JSON columns are decoded once, not once per agent.
_GET_PG = f"""
SELECT {_EXECUTION_SELECT},
  (SELECT json_agg(json_build_array(a.id, a.name, a.agent_type, a.status, a.duration_ms,
                                    a.output, a.error, a.config, a.created_at))
   FROM agents a WHERE a.execution_id = e.id)
FROM executions e WHERE e.id = :id AND e.tenant_id = :tenant
"""
_GET_SQLITE = f"""
SELECT {_EXECUTION_SELECT},
  (SELECT json_group_array(json_array(a.id, a.name, a.agent_type, a.status, a.duration_ms,
                                      json(a.output), a.error, json(a.config), a.created_at))
   FROM agents a WHERE a.execution_id = e.id)
FROM executions e WHERE e.id = :id AND e.tenant_id = :tenant
"""


# Built once: building a statement costs about as much as running it.
_WORKFLOW_TO_START = select(
    Workflow.id, Workflow.version, Workflow.status, Workflow.deleted_at
).where(Workflow.id == bindparam("workflow_id"), Workflow.tenant_id == bindparam("tenant_id"))


class _JsonAgent:
    """An agent of :data:`_GET_PG` / :data:`_GET_SQLITE`'s JSON array."""

    __slots__ = (*_AGENT_FIELDS, "created_at")

    def __init__(self, item: list[Any]) -> None:
        aid, self.name, self.agent_type, self.status, self.duration_ms = item[:5]
        self.output, self.error, self.config, self.created_at = item[5:]
        self.id = uuid.UUID(str(aid))


def _same(value: Any) -> Any:
    return value


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str | bytes) else value)


class _PendingRow:
    """A just-inserted execution: its values, and None for every column not set."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


class ExecutionService:
    def __init__(self, db: Database, checkpoints: journal.CheckpointStore, bus: EventBus) -> None:
        self.db = db
        self.checkpoints = checkpoints
        self.bus = bus
        self.definitions = definitions

    def _commit(self, uow: UnitOfWork, events: EventBatch) -> None:
        events.flush(uow.session)
        uow.commit()
        self.bus.publish(events)

    # ------------------------------------------------------------------ start / read

    def start(
        self, tenant_id: uuid.UUID, data: ExecutionCreate, *, triggered_by: uuid.UUID | None = None
    ) -> ExecutionOut:
        """Create a pending execution of the workflow's current version; a worker runs it.

        One transaction of Core statements: the workflow read, the execution, its audit row
        (inside an :func:`omium.services.audit.audited` scope) and its queued event.
        """
        return self._start(tenant_id, data, triggered_by, None)[0]

    def start_claimed(
        self,
        tenant_id: uuid.UUID,
        data: ExecutionCreate,
        lease: claims.LeaseRequest,
        *,
        triggered_by: uuid.UUID | None = None,
    ) -> tuple[ExecutionOut, journal.Snapshot | None]:
        """Start an execution that this process runs: the same rows as :meth:`start`, and in
        the same transaction the execution claimed for ``lease.owner`` (running, leased),
        unless its tenant is at ``max_concurrent_executions``: then it stays pending for a
        worker. Returns the execution and, when claimed, the snapshot its runner starts from
        (nothing has run yet: no read needed). One round trip after the workflow read on
        PostgreSQL; one commit on SQLite.
        """
        return self._start(tenant_id, data, triggered_by, lease)

    def _start(
        self,
        tenant_id: uuid.UUID,
        data: ExecutionCreate,
        triggered_by: uuid.UUID | None,
        lease: claims.LeaseRequest | None,
    ) -> tuple[ExecutionOut, journal.Snapshot | None]:
        events = EventBatch()
        snapshot: journal.Snapshot | None = None
        # The read, then one write: on PostgreSQL a single statement inserts the execution,
        # its audit row and its event (2 round trips in all, no transaction around them).
        with self.db.statements() as conn:
            wf = conn.execute(
                _WORKFLOW_TO_START, {"workflow_id": data.workflow_id, "tenant_id": tenant_id}
            ).first()
            if wf is None or wf.deleted_at is not None:
                raise NotFoundError(
                    f"Workflow with ID '{data.workflow_id}' not found",
                    code=ErrorCode.WORKFLOW_NOT_FOUND,
                    details={"workflow_id": str(data.workflow_id)},
                )
            if wf.status == "archived":
                raise ConflictError(
                    "The workflow is archived; publish it again to run it",
                    details={"workflow_id": str(wf.id), "status": wf.status},
                )
            definition = self.definitions.parsed(conn, wf.id, wf.version)
            if definition is None:  # pragma: no cover - every version is stored with its row
                raise NotFoundError(
                    f"Workflow '{wf.id}' has no version {wf.version}",
                    code=ErrorCode.WORKFLOW_NOT_FOUND,
                    details={"workflow_id": str(wf.id), "version": wf.version},
                )
            check_input_params(definition, data.input_params)
            # The referenced agent configs as they are now: a later edit of one does not
            # change this execution (as its workflow_version pins the definition).
            pinned = agent_configs.resolve_refs(conn, tenant_id, definition)
            metadata = {k: v for k, v in data.metadata.items() if k != PINNED_AGENT_CONFIGS}
            if pinned:
                metadata[PINNED_AGENT_CONFIGS] = pinned
            now = utcnow()
            values: dict[str, Any] = {
                "id": time_ordered_uuid(),
                "tenant_id": tenant_id,
                "workflow_id": wf.id,
                "workflow_version": wf.version,
                "triggered_by": triggered_by,
                "trigger_type": data.trigger_type.value,
                "status": ExecutionStatus.PENDING.value,
                "input_params": data.input_params,
                "metadata_": metadata,
                "checkpoint_count": 0,
                "retry_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            rows = [(_EXECUTIONS, column_values(Execution, values))]
            audit_row = audit.insert_row_values(Execution, values)
            if audit_row is not None:
                audit_row.update(id=uuid.uuid4(), created_at=now)
                rows.append((_AUDIT_LOGS, column_values(AuditLog, audit_row)))
            events.add(
                tenant_id,
                values["id"],
                "execution_queued",
                workflow_id=str(wf.id),
                workflow_version=wf.version,
            )
            rows.extend((_EVENTS, row) for row in events.take_rows())
            if lease is None:
                insert_rows(conn, rows)
            else:
                snapshot = self._insert_claimed(conn, rows, values, definition, lease)
        self.bus.publish(events)
        return execution_out(_PendingRow(values), [], len(definition.flow)), snapshot

    @staticmethod
    def _insert_claimed(
        conn: Connection,
        rows: list[tuple[Table, dict[str, Any]]],
        values: dict[str, Any],
        definition: ParsedDefinition,
        lease: claims.LeaseRequest,
    ) -> journal.Snapshot | None:
        """Insert ``rows`` and claim the execution, in one transaction (contract 6 holds:
        on PostgreSQL the claim lock is taken before the claim counts the tenant's leases)."""
        dialect = conn.dialect
        statements = [driver.insert_statement(dialect, table, [row]) for table, row in rows]
        now = values["created_at"]
        statements += claims.claim_one_statements(dialect, values["id"], lease, now)
        got = claims.claimed_row(dialect, driver.transaction(conn, statements)[-1], lease, now)
        if got is None:
            return None
        values.update(
            status=ExecutionStatus.RUNNING.value,
            started_at=got.started_at,
            lease_owner=lease.owner,
            lease_expires_at=got.lease_expires_at,
            heartbeat_at=now,
        )
        head = journal.ExecutionHead(
            workflow_id=values["workflow_id"],
            workflow_version=values["workflow_version"],
            started_at=got.started_at,
            input_params=values["input_params"],
            retry_count=0,
            metadata=values["metadata_"],
        )
        return journal.Snapshot(head, definition, checkpoints=[], agents={})

    def get(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> ExecutionOut:
        # One statement: on PostgreSQL it runs without a transaction around it, which is
        # its own consistent snapshot.
        with self.db.read_connection() as conn:
            dialect = conn.dialect
            procs = driver.processors(dialect, _EXECUTIONS)
            as_uuid = procs["id"] or _same
            pg = dialect.name == "postgresql"
            rows = driver.execute(
                conn,
                "executions.get",
                _GET_PG if pg else _GET_SQLITE,
                {"id": as_uuid(execution_id), "tenant": as_uuid(tenant_id)},
            )
            if not rows:
                raise NotFoundError(
                    f"Execution with ID '{execution_id}' not found",
                    code=ErrorCode.EXECUTION_NOT_FOUND,
                    details={"execution_id": str(execution_id)},
                )
            results = driver.result_processors(dialect, _EXECUTIONS)
            row = _PendingRow(
                {
                    attr: driver.read(results[column], value)
                    for (attr, column), value in zip(_EXECUTION_FIELDS, rows[0], strict=False)
                }
            )
            agents = sorted(
                (_JsonAgent(a) for a in _json_list(rows[0][-1])),
                key=lambda a: (a.created_at, a.name),
            )
            total = len(agents) or self.definitions.total_steps(
                conn, row.workflow_id, row.workflow_version
            )
        return execution_out(row, agents, total)

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        status: str | None = None,
        workflow_id: uuid.UUID | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ExecutionList:
        criteria: list[Any] = []
        if status:
            criteria.append(Execution.status == status)
        if workflow_id:
            criteria.append(Execution.workflow_id == workflow_id)
        with UnitOfWork(self.db, read_only=True) as uow:
            repo = uow.repo(Execution, tenant_id)
            rows = repo.list(
                *criteria, order_by=[Execution.created_at.desc()], limit=limit, offset=offset
            )
            return ExecutionList(
                executions=[to_schema(uow, r) for r in rows],
                total=repo.count(*criteria),
                limit=limit,
                offset=offset,
            )

    # ------------------------------------------------------------------ control

    def pause(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> ExecutionOut:
        """Pending: paused now. Running: paused at the next step boundary (the running step
        finishes and is checkpointed; nothing after it starts)."""
        events = EventBatch()
        with UnitOfWork(self.db) as uow:
            row = uow.repo(Execution, tenant_id).require(execution_id, for_update=True)
            target = check_transition(row.status, Action.PAUSE, execution_id=execution_id)
            row.status = target.value
            row.metadata_ = {**(row.metadata_ or {}), "paused_at": utcnow().isoformat()}
            events.add(tenant_id, execution_id, "execution_paused", reason="requested")
            uow.session.flush()
            out = to_schema(uow, row)
            self._commit(uow, events)
            return out

    def resume(
        self,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        checkpoint_name: str | None = None,
        triggered_by: uuid.UUID | None = None,
    ) -> ExecutionOut:
        """Run again from the current point, or from the live checkpoint ``checkpoint_name``."""
        events = EventBatch()
        with UnitOfWork(self.db) as uow:
            row = uow.repo(Execution, tenant_id).require(execution_id, for_update=True)
            check_transition(row.status, Action.RESUME, execution_id=execution_id)
            if checkpoint_name is not None:
                cp = uow.session.scalar(
                    select(Checkpoint).where(
                        Checkpoint.execution_id == execution_id,
                        Checkpoint.checkpoint_name == checkpoint_name,
                        Checkpoint.superseded_at.is_(None),
                    )
                )
                if cp is None:
                    raise NotFoundError(
                        f"Execution '{execution_id}' has no live checkpoint '{checkpoint_name}'",
                        code=ErrorCode.CHECKPOINT_NOT_FOUND,
                        details={
                            "execution_id": str(execution_id),
                            "checkpoint_name": checkpoint_name,
                        },
                    )
                self._roll_back(
                    uow,
                    row,
                    cp,
                    reason=f"resume from {checkpoint_name}",
                    triggered_by=triggered_by,
                    events=events,
                )
            uow.session.execute(
                update(RecoveryAction)
                .where(
                    RecoveryAction.execution_id == execution_id,
                    RecoveryAction.status == "pending",
                )
                .values(status="cancelled", completed_at=utcnow())
            )
            self._set_runnable(row)
            events.add(
                tenant_id, execution_id, "execution_resumed", checkpoint=row.current_checkpoint
            )
            events.add(tenant_id, execution_id, "execution_queued")
            uow.session.flush()
            out = to_schema(uow, row)
            self._commit(uow, events)
            return out

    @staticmethod
    def _set_runnable(row: Execution) -> None:
        held = row.lease_owner is not None and row.status == ExecutionStatus.PAUSED.value
        row.status = ExecutionStatus.RUNNING.value
        row.error = None
        row.completed_at = None
        if not held:
            # A paused execution whose runner still holds the lease (its step is finishing)
            # keeps it: the runner goes on at the boundary. Otherwise any worker may claim it.
            row.lease_owner = None
            row.lease_expires_at = None

    def cancel(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> ExecutionOut:
        """Cancelled now; a running agent is interrupted."""
        events = EventBatch()
        with UnitOfWork(self.db) as uow:
            row = uow.repo(Execution, tenant_id).require(execution_id, for_update=True)
            target = check_transition(row.status, Action.CANCEL, execution_id=execution_id)
            now = utcnow()
            row.status = target.value
            row.completed_at = now
            row.lease_owner = None
            row.lease_expires_at = None
            if row.started_at:
                row.duration_ms = int((now - row.started_at).total_seconds() * 1000)
            s = uow.session
            s.execute(
                update(Agent)
                .where(Agent.execution_id == execution_id, Agent.status == "running")
                .values(status="failed", error="cancelled", completed_at=now)
            )
            s.execute(
                update(StepAttempt)
                .where(StepAttempt.execution_id == execution_id, StepAttempt.status == "running")
                .values(status="cancelled", finished_at=now)
            )
            s.execute(
                update(RecoveryAction)
                .where(
                    RecoveryAction.execution_id == execution_id,
                    RecoveryAction.status.in_(("pending", "in_progress")),
                )
                .values(status="cancelled", completed_at=now)
            )
            events.add(tenant_id, execution_id, "execution_cancelled")
            s.flush()
            out = to_schema(uow, row)
            self._commit(uow, events)
            return out

    def rollback_to_checkpoint(
        self,
        tenant_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        *,
        reason: str = "manual rollback",
        triggered_by: uuid.UUID | None = None,
    ) -> ExecutionOut:
        """Restore a checkpoint's state: a rollbacks row, later checkpoints superseded (kept),
        status ``rolled_back`` until resumed."""
        events = EventBatch()
        with UnitOfWork(self.db) as uow:
            cp = uow.repo(Checkpoint, tenant_id).require(checkpoint_id)
            row = uow.repo(Execution, tenant_id).require(cp.execution_id, for_update=True)
            target = check_transition(row.status, Action.ROLLBACK, execution_id=row.id)
            if cp.superseded_at is not None:
                raise ConflictError(
                    f"Checkpoint '{cp.checkpoint_name}' was superseded by an earlier rollback",
                    code=ErrorCode.ROLLBACK_FAILED,
                    details={"checkpoint_id": str(checkpoint_id)},
                )
            self._roll_back(uow, row, cp, reason=reason, triggered_by=triggered_by, events=events)
            row.status = target.value
            row.lease_owner = None
            row.lease_expires_at = None
            row.completed_at = None
            row.result = None
            row.output = None
            row.error = None
            events.add(
                tenant_id, row.id, "execution_rolled_back", checkpoint_name=cp.checkpoint_name
            )
            uow.session.flush()
            out = to_schema(uow, row)
            self._commit(uow, events)
            return out

    def _roll_back(
        self,
        uow: UnitOfWork,
        row: Execution,
        cp: Checkpoint,
        *,
        reason: str,
        triggered_by: uuid.UUID | None,
        events: EventBatch,
    ) -> None:
        s = uow.session
        try:
            self.checkpoints.get_state(uow, row.tenant_id, cp)
        except CheckpointCorruptedError as exc:
            raise ConflictError(
                f"cannot roll back to '{cp.checkpoint_name}': {exc.message}",
                code=ErrorCode.ROLLBACK_FAILED,
                details=exc.details,
            ) from None
        latest = s.scalar(
            select(Checkpoint)
            .where(Checkpoint.execution_id == row.id, Checkpoint.superseded_at.is_(None))
            .order_by(Checkpoint.checkpoint_index.desc())
            .limit(1)
        )
        later = list(
            s.scalars(
                select(Checkpoint).where(
                    Checkpoint.execution_id == row.id,
                    Checkpoint.superseded_at.is_(None),
                    Checkpoint.checkpoint_index > cp.checkpoint_index,
                )
            )
        )
        affected = sorted({c.agent_id for c in later if c.agent_id is not None}, key=str)
        now = utcnow()
        rollback = Rollback(
            execution_id=row.id,
            from_checkpoint_id=latest.id if latest else None,
            to_checkpoint_id=cp.id,
            triggered_by=triggered_by,
            trigger_reason=reason[:255],
            trigger_type="manual",
            status="completed",
            started_at=now,
            completed_at=now,
            rollback_success=True,
            affected_agents=journal.uuid_array(s, affected),
            metadata_={"superseded": [c.checkpoint_name for c in later]},
        )
        s.add(rollback)
        self.checkpoints.mark_superseded(uow, row.tenant_id, row.id, cp.checkpoint_index)
        if affected:
            s.execute(
                update(Agent)
                .where(Agent.id.in_(affected))
                .values(status="rolled_back", completed_at=None, output=None, updated_at=now)
            )
        s.execute(
            update(StepAttempt)
            .where(StepAttempt.execution_id == row.id, StepAttempt.status == "running")
            .values(status="interrupted", finished_at=now)
        )
        s.refresh(row)
        row.current_checkpoint = cp.checkpoint_name
        row.last_successful_checkpoint = cp.checkpoint_name
        s.flush()
        events.add(
            row.tenant_id,
            row.id,
            "rollback",
            rollback_id=str(rollback.id),
            to_checkpoint=cp.checkpoint_name,
            trigger_type="manual",
            superseded=len(later),
        )

    def count_running(self, tenant_id: uuid.UUID) -> int:
        with UnitOfWork(self.db, read_only=True) as uow:
            return int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(Execution)
                    .where(
                        Execution.tenant_id == tenant_id,
                        Execution.lease_owner.is_not(None),
                        Execution.lease_expires_at >= utcnow(),
                    )
                )
                or 0
            )
