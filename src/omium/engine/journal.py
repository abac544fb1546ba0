"""What the engine reads and writes about one execution, in the caller's transaction.

The runner keeps an execution's rows in memory for the whole run (definition, agents rows,
checkpoint names); this module turns its decisions into statements. Every write statement of
a step boundary goes through here, so one boundary is one transaction.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, cast

import psycopg
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.domain.workflow import WorkflowDefinition as ParsedDefinition
from omium.engine import driver, pg_boundary
from omium.engine.pg_boundary import Completion as Completion
from omium.engine.sqlite_unit import SqliteUnit
from omium.errors import ConflictError, ErrorCode, NotFoundError
from omium.ids import time_ordered_uuid
from omium.services.checkpoints import PendingCheckpoint
from omium.services.definition_cache import definitions
from omium.store.checkpoint_parts import WriteResult
from omium.store.checkpoint_writer import PartsMissing
from omium.store.checkpoint_writer import _is_live_name_conflict as is_live_name_conflict
from omium.store.models import (
    Agent,
    AgentMetrics,
    Checkpoint,
    CheckpointBlob,
    Execution,
    ExecutionEvent,
    ExecutionMetrics,
    StepAttempt,
)
from omium.store.uow import UnitOfWork

EXECUTIONS = cast(Table, Execution.__table__)
AGENTS = cast(Table, Agent.__table__)
ATTEMPTS = cast(Table, StepAttempt.__table__)
CHECKPOINTS = cast(Table, Checkpoint.__table__)
EVENTS = cast(Table, ExecutionEvent.__table__)
METRICS = cast(Table, ExecutionMetrics.__table__)
BLOBS = cast(Table, CheckpointBlob.__table__)
AGENT_METRICS = cast(Table, AgentMetrics.__table__)


class CheckpointStore(Protocol):
    """The part of the checkpoint service (issue 3) the engine uses."""

    def prepare(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
        changed_keys: Iterable[str] | None = None,
    ) -> PendingCheckpoint: ...

    def share_parts(self, pending: list[PendingCheckpoint]) -> None: ...

    def parts_missing(
        self, uow: UnitOfWork, pending: PendingCheckpoint, present: set[str], *, last: bool
    ) -> None: ...

    def finish(
        self, uow: UnitOfWork, pending: PendingCheckpoint, new_digests: set[str]
    ) -> WriteResult: ...

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


@dataclass(frozen=True)
class ExecutionHead:
    """The execution columns a runner starts from."""

    workflow_id: uuid.UUID
    workflow_version: int | None
    started_at: datetime | None
    input_params: dict[str, Any] | None
    retry_count: int | None
    metadata: dict[str, Any] | None


class AttemptRow(NamedTuple):
    step: int
    status: str


@dataclass
class Snapshot:
    """An execution as the runner finds it when it (re)starts."""

    execution: ExecutionHead
    definition: ParsedDefinition
    checkpoints: list[CheckpointRef]
    agents: dict[int, uuid.UUID]
    attempts: list[AttemptRow] = field(default_factory=list)
    #: recovery actions in progress (a manual retry/prompt_edit): step -> (action, failure)
    actions: dict[int, tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)


# The execution and everything a runner needs about its progress, in one round trip: the
# live checkpoints, agents rows, attempts and in-progress recovery actions come as JSON
# arrays (UUIDs as text: hyphenated on PostgreSQL, hex on SQLite; uuid.UUID reads both).
_SNAPSHOT = {
    "postgresql": """
SELECT e.workflow_id, e.workflow_version, e.started_at, e.input_params, e.retry_count,
  e.metadata,
  (SELECT json_agg(json_build_array(c.id, c.checkpoint_name, c.checkpoint_index,
                                    c.metadata->'step', c.metadata->'kind'))
   FROM checkpoints c WHERE c.execution_id = e.id AND c.superseded_at IS NULL),
  (SELECT json_agg(json_build_array(a.id, a.config->'step'))
   FROM agents a WHERE a.execution_id = e.id),
  (SELECT json_agg(json_build_array(t.step, t.status))
   FROM step_attempts t WHERE t.execution_id = e.id),
  (SELECT json_agg(json_build_array(r.id, r.failure_id, r.action_config->'step'))
   FROM recovery_actions r WHERE r.execution_id = e.id AND r.status = 'in_progress')
FROM executions e WHERE e.id = :id AND e.tenant_id = :tenant
""",
    "sqlite": """
SELECT e.workflow_id, e.workflow_version, e.started_at, e.input_params, e.retry_count,
  e.metadata,
  (SELECT json_group_array(json_array(c.id, c.checkpoint_name, c.checkpoint_index,
                                      json_extract(c.metadata, '$.step'),
                                      json_extract(c.metadata, '$.kind')))
   FROM checkpoints c WHERE c.execution_id = e.id AND c.superseded_at IS NULL),
  (SELECT json_group_array(json_array(a.id, json_extract(a.config, '$.step')))
   FROM agents a WHERE a.execution_id = e.id),
  (SELECT json_group_array(json_array(t.step, t.status))
   FROM step_attempts t WHERE t.execution_id = e.id),
  (SELECT json_group_array(json_array(r.id, r.failure_id, json_extract(r.action_config, '$.step')))
   FROM recovery_actions r WHERE r.execution_id = e.id AND r.status = 'in_progress')
FROM executions e WHERE e.id = :id AND e.tenant_id = :tenant
""",
}
_HEAD_COLUMNS = (
    "workflow_id",
    "workflow_version",
    "started_at",
    "input_params",
    "retry_count",
    "metadata",
)


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str | bytes) else value)


def definition(
    session: Session | Connection, workflow_id: uuid.UUID, version: int | None
) -> ParsedDefinition:
    """Version ``version`` of the workflow's definition, parsed (cached process-wide:
    versions never change once stored). NotFoundError when there is no such version."""
    found = definitions.parsed(session, workflow_id, version) if version is not None else None
    if found is None:
        raise NotFoundError(
            f"workflow {workflow_id} has no version {version}", code=ErrorCode.WORKFLOW_NOT_FOUND
        )
    return found


def load_snapshot(
    target: Session | Connection, tenant_id: uuid.UUID, execution_id: uuid.UUID
) -> Snapshot:
    """The execution as a runner (re)starts from: one statement (plus the definition, the
    first time this process runs its version). NotFoundError when not in the tenant."""
    dialect = driver.dialect_of(target)
    procs = driver.processors(dialect, EXECUTIONS)
    as_uuid = procs["id"]
    rows = driver.execute(
        target,
        "journal.snapshot",
        _SNAPSHOT["postgresql" if dialect.name == "postgresql" else "sqlite"],
        {
            "id": as_uuid(execution_id) if as_uuid else execution_id,
            "tenant": as_uuid(tenant_id) if as_uuid else tenant_id,
        },
    )
    if not rows:
        raise NotFoundError(
            f"Execution with ID '{execution_id}' not found",
            code=ErrorCode.EXECUTION_NOT_FOUND,
            details={"execution_id": str(execution_id)},
        )
    row = rows[0]
    results = driver.result_processors(dialect, EXECUTIONS)
    head = ExecutionHead(
        *(
            driver.read(results[name], value)
            for name, value in zip(_HEAD_COLUMNS, row[:6], strict=True)
        )
    )
    parsed = definition(target, head.workflow_id, head.workflow_version)
    checkpoints = sorted(
        (
            CheckpointRef(uuid.UUID(str(cid)), name, int(index), step, kind or "")
            for cid, name, index, step, kind in _json_list(row[6])
        ),
        key=lambda c: c.index,
    )
    agents = {
        int(step): uuid.UUID(str(aid)) for aid, step in _json_list(row[7]) if step is not None
    }
    attempts = [AttemptRow(int(step), str(status)) for step, status in _json_list(row[8])]
    actions = {
        int(step): (uuid.UUID(str(aid)), uuid.UUID(str(fid)))
        for aid, fid, step in _json_list(row[9])
        if step is not None
    }
    return Snapshot(head, parsed, checkpoints, agents, attempts, actions)


def fence(
    session: Session | Connection,
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


_EXECUTION_METRICS = """
INSERT INTO execution_metrics (id, execution_id, total_duration_ms, checkpoint_overhead_ms,
  consensus_overhead_ms, total_llm_calls, total_tokens, total_cost_usd, checkpoint_count,
  rollback_count, failure_count, retry_count, measured_at)
VALUES (:id, :execution_id, :total_duration_ms, :checkpoint_overhead_ms,
  :consensus_overhead_ms, :total_llm_calls, :total_tokens, :total_cost_usd,
  (SELECT count(*) FROM checkpoints WHERE execution_id = :execution_id),
  (SELECT count(*) FROM rollbacks WHERE execution_id = :execution_id),
  (SELECT count(*) FROM failures WHERE execution_id = :execution_id),
  :retry_count, :measured_at)
"""


def insert_execution_metrics(session: Session | Connection, **values: Any) -> None:
    """The execution's metrics row; its checkpoint, rollback and failure counts are counted
    by the same statement (one round trip)."""
    row = driver.with_defaults(METRICS, values)
    for counted in ("checkpoint_count", "rollback_count", "failure_count"):
        row.pop(counted, None)
    params = driver.bind(driver.processors(driver.dialect_of(session), METRICS), row)
    driver.execute(session, "journal.execution_metrics", _EXECUTION_METRICS, params)


def insert_agents(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
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
    """The row changes of one step boundary, checkpoints included, applied in one statement
    on PostgreSQL (data-modifying CTEs) together with the fenced execution update."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    #: the boundary's checkpoints, in index order (their indexes are claimed by the fenced
    #: execution update of the same statement)
    checkpoints: list[PendingCheckpoint] = field(default_factory=list)
    finished_attempts: list[dict[str, Any]] = field(default_factory=list)
    new_attempts: list[dict[str, Any]] = field(default_factory=list)
    #: agents rows to insert (the first boundary of a run), before the updates above
    new_agents: list[dict[str, Any]] = field(default_factory=list)


_SQLITE_AGENT = """
UPDATE agents SET
  status = ?,
  started_at = coalesce(?, started_at),
  completed_at = coalesce(?, completed_at),
  output = coalesce(?, output),
  duration_ms = coalesce(?, duration_ms),
  error = ?,
  updated_at = ?
WHERE id = ?
"""
_SQLITE_FINISH = "UPDATE step_attempts SET status = ?, finished_at = ?, error = ? WHERE id = ?"
_ATTEMPT_COLUMNS = (
    "id",
    "execution_id",
    "step",
    "agent_name",
    "attempt",
    "worker_id",
    "status",
    "started_at",
)
_EVENT_COLUMNS = ("tenant_id", "execution_id", "event_type", "payload", "created_at")
_SQLITE_FENCE = """
UPDATE executions SET
  lease_expires_at = ?,
  heartbeat_at = ?,
  updated_at = ?,
  checkpoint_count = coalesce(checkpoint_count, 0) + ?,
  current_checkpoint = coalesce(?, current_checkpoint),
  last_successful_checkpoint = coalesce(?, last_successful_checkpoint)
WHERE id = ? AND lease_owner = ?
RETURNING status, checkpoint_count
"""
_CHECKPOINT_COLUMNS = tuple(c.name for c in CHECKPOINTS.columns)


@functools.lru_cache(maxsize=256)
def _sqlite_insert(table: str, columns: tuple[str, ...], count: int) -> str:
    """``INSERT INTO table (columns) VALUES (...), ...`` for ``count`` rows: one statement
    (one step of the VM) for all the rows of a boundary, instead of one per row."""
    row = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * count)}"


#: SQLite allows 32766 parameters per statement.
_SQLITE_MAX_PARAMETERS = 32766


def _sqlite_insert_rows(cur: Any, table: str, columns: tuple[str, ...], values: list[Any]) -> None:
    """Insert the rows whose values ``values`` holds one after the other, in column order:
    as few statements as SQLite's parameter limit allows (one, for any boundary so far)."""
    step = _SQLITE_MAX_PARAMETERS // len(columns) * len(columns)
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        cur.execute(_sqlite_insert(table, columns, len(chunk) // len(columns)), chunk)


#: Parts (8 columns each) per statement, under SQLite's parameter limit.
_SQLITE_PARTS_PER_STATEMENT = _SQLITE_MAX_PARAMETERS // 8


def _sqlite_parts(count: int) -> str:
    values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in range(count))
    return (
        "INSERT INTO checkpoint_blobs (tenant_id, digest, compression, raw_size, stored_size,"
        f" data, location, created_at) VALUES {values} ON CONFLICT DO NOTHING RETURNING digest"
    )


class _Boundary(NamedTuple):
    """What a boundary writes, as both databases' paths take it."""

    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    worker_id: str
    lease_until: datetime
    writes: BoundaryWrites
    event_rows: list[dict[str, Any]]
    #: the ``checkpoint_created`` event rows, with their checkpoint's place in ``writes``
    announcing: list[tuple[dict[str, Any], int]]
    current_checkpoint: str | None
    last_successful_checkpoint: str | None


def apply_boundary(
    uow: UnitOfWork,
    store: CheckpointStore,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    worker_id: str,
    lease_until: datetime,
    writes: BoundaryWrites,
    event_rows: list[dict[str, Any]],
    *,
    current_checkpoint: str | None,
    last_successful_checkpoint: str | None,
    completion: Completion | None = None,
) -> str:
    """Apply a boundary's rows, its checkpoints and the fenced execution update; returns
    the status (``completed`` when ``completion`` was given and the execution was running:
    it is completed and its metrics written with the boundary).

    The checkpoints' indexes are claimed here: each pending row gets its
    ``checkpoint_index``, and each ``checkpoint_created`` event row its payload's. Then the
    checkpoint service finishes each (uploads of new large parts), before the caller
    commits. PostgreSQL: one prepared statement (one round trip), sent in autocommit when
    the unit of work has not begun a transaction and no part goes to the blob store (the
    statement is atomic by itself, and committed when it returns); otherwise in the unit
    of work's transaction. SQLite: one multi-row INSERT per kind of row on one cursor. Raises
    LeaseLost when this worker no longer holds the execution, ConflictError when a
    checkpoint's name is taken on the live line.
    """
    pending = writes.checkpoints
    ordinals = {str(one.row["id"]): i for i, one in enumerate(pending)}
    announcing = [
        (row, ordinals[row["payload"]["checkpoint_id"]])
        for row in event_rows
        if row["event_type"] == "checkpoint_created"
        and row["payload"].get("checkpoint_id") in ordinals
    ]
    boundary = _Boundary(
        tenant_id,
        execution_id,
        worker_id,
        lease_until,
        writes,
        event_rows,
        announcing,
        current_checkpoint,
        last_successful_checkpoint,
    )
    dialect = uow.dialect
    postgres = dialect.name == "postgresql"
    alone = postgres and not uow.session.in_transaction()
    if writes.new_agents and not postgres:
        insert_agents(_sqlite_target(uow), writes.new_agents)
    integrity_errors = (IntegrityError, dialect.loaded_dbapi.IntegrityError)
    for attempt in range(3):
        store.share_parts(pending)
        try:
            if postgres:
                # A part for the blob store is uploaded after the insert, before the commit.
                own = alone and not any(one.parts.keys for one in pending)
                status, count, new_digests = _apply_pg(uow.session, own, boundary, completion)
            else:
                status, count, new_digests = _apply_sqlite(
                    dialect, _sqlite_connection(uow), boundary
                )
                if completion is not None and status == "running":
                    status = _complete_in_session(
                        _sqlite_target(uow), execution_id, worker_id, completion
                    )
            break
        except PartsMissing as missing:
            # Nothing was written: prepared again to insert the parts that are gone.
            for one in pending:
                store.parts_missing(uow, one, missing.present, last=attempt > 0)
        except integrity_errors as exc:
            if is_live_name_conflict(exc):
                raise ConflictError(
                    f"Execution {execution_id} already has a live checkpoint of one of the"
                    f" names {[one.row['checkpoint_name'] for one in pending]}",
                    details={"execution_id": str(execution_id)},
                ) from None
            raise
    else:  # pragma: no cover - the last attempt checks no known part
        raise RuntimeError("checkpoint parts kept disappearing")
    first = count - len(pending)
    for i, one in enumerate(pending):
        one.row["checkpoint_index"] = first + i
        store.finish(uow, one, new_digests)
    return status


def _sqlite_connection(uow: UnitOfWork) -> sqlite3.Connection:
    """The driver connection of ``uow``'s transaction (begun if need be)."""
    if isinstance(uow, SqliteUnit):
        return uow.connection
    return cast(sqlite3.Connection, driver.cursor(uow.session).connection)


def _sqlite_target(uow: UnitOfWork) -> Session | Connection:
    """Where the SQLite boundary's statements written through the driver module go: the
    unit's own connection when it has one (no session machinery)."""
    return uow.joined() if isinstance(uow, SqliteUnit) else uow.session


def _complete_in_session(
    session: Session | Connection, execution_id: uuid.UUID, worker_id: str, completion: Completion
) -> str:
    """The completion of the last boundary as statements of its transaction (SQLite)."""
    at = completion.completed_at
    fence(
        session,
        execution_id,
        worker_id,
        at,
        status="completed",
        completed_at=at,
        result=completion.result,
        output=completion.output,
        duration_ms=completion.duration_ms,
        error=None,
        lease_owner=None,
        lease_expires_at=None,
        current_checkpoint=completion.checkpoint,
        last_successful_checkpoint=completion.checkpoint,
    )
    insert_execution_metrics(
        session,
        id=completion.metrics_id,
        execution_id=execution_id,
        total_duration_ms=completion.duration_ms,
        checkpoint_overhead_ms=completion.checkpoint_overhead_ms,
        consensus_overhead_ms=completion.consensus_overhead_ms,
        retry_count=completion.retry_count,
        measured_at=completion.measured_at,
    )
    driver.insert(
        session,
        AGENT_METRICS,
        [
            {
                "id": time_ordered_uuid(),
                "agent_id": agent_id,
                "execution_id": execution_id,
                "duration_ms": duration_ms,
                "llm_provider": None,
                "llm_model": None,
                "measured_at": completion.measured_at,
            }
            for agent_id, duration_ms in completion.agent_durations
        ],
    )
    driver.insert(session, EVENTS, [completion.event_row])
    return "completed"


class _Parts(NamedTuple):
    rows: list[dict[str, Any]]
    known: list[str]


def _boundary_parts(pending: list[PendingCheckpoint]) -> _Parts:
    """The part rows to insert (distinct: see CheckpointService.share_parts) and the digests
    to check, of all the boundary's checkpoints."""
    rows = [row for one in pending for row in one.parts.rows()]
    inserted = {row["digest"] for row in rows}
    known = sorted({d for one in pending for d in one.parts.known} - inserted)
    return _Parts(rows, known)


def _apply_pg(
    session: Session, own: bool, boundary: _Boundary, completion: Completion | None
) -> tuple[str, int, set[str]]:
    """The boundary statement on PostgreSQL: on a pooled connection of its own in
    autocommit when ``own``, else in the session's transaction."""
    (
        tenant_id,
        execution_id,
        worker_id,
        lease_until,
        writes,
        event_rows,
        announcing,
        current_checkpoint,
        last_successful_checkpoint,
    ) = boundary
    pending = writes.checkpoints
    parts = _boundary_parts(pending)
    ordinal_of = {id(row): i for row, i in announcing}
    events = [{**row, "ordinal": ordinal_of.get(id(row))} for row in event_rows]
    if completion is not None:
        events.append({**completion.event_row, "requires": "completed"})
    statement, args = pg_boundary.params(
        tenant_id=tenant_id,
        execution_id=execution_id,
        worker_id=worker_id,
        now=utcnow(),
        lease_until=lease_until,
        known=parts.known,
        part_rows=parts.rows,
        checkpoint_rows=[{**one.row, "ordinal": i} for i, one in enumerate(pending)],
        agents=writes.agents,
        new_agents=writes.new_agents,
        finished=writes.finished_attempts,
        attempts=writes.new_attempts,
        event_rows=events,
        current=current_checkpoint,
        last_ok=last_successful_checkpoint,
        completion=completion,
    )
    if own:
        outcome = _autocommitted(session, statement, args)
    else:
        conn = cast("psycopg.Connection[Any]", session.connection().connection.driver_connection)
        outcome = pg_boundary.execute(conn, statement, args)
    if outcome.status is None:
        if len(outcome.present) != len(parts.known):
            raise PartsMissing(set(outcome.present))
        raise LeaseLost(str(execution_id))
    for row, i in announcing:
        row["payload"]["checkpoint_index"] = outcome.count - len(pending) + i
    return outcome.status, outcome.count, set(outcome.new_digests)


def _autocommitted(
    session: Session, statement: pg_boundary.Statement, args: list[Any]
) -> pg_boundary.Outcome:
    """The statement on a pooled connection in autocommit: one round trip, committed (and
    durable) when it returns, nothing written when it fails."""
    raw = cast(Engine, session.get_bind()).raw_connection()
    try:
        conn = cast("psycopg.Connection[Any]", raw.driver_connection)
        conn.autocommit = True
        try:
            return pg_boundary.execute(conn, statement, args)
        finally:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                conn.autocommit = False
            else:  # broken, or left in a state the pool cannot reset
                raw.invalidate()
    finally:
        raw.close()


def _apply_sqlite(
    dialect: Any, connection: sqlite3.Connection, boundary: _Boundary
) -> tuple[str, int, set[str]]:
    """The boundary on SQLite: one multi-row INSERT per kind of row on one cursor, values
    converted by the columns' own converters (bound once where every row shares them). The
    fenced execution update comes first (it claims the checkpoints' indexes): SQLite's
    write lock keeps the whole transaction's view; LeaseLost rolls it back."""
    (
        tenant_id,
        execution_id,
        worker_id,
        lease_until,
        writes,
        event_rows,
        announcing,
        current_checkpoint,
        last_successful_checkpoint,
    ) = boundary
    conv = driver.processors(dialect, AGENTS)
    as_id, as_time, as_json = conv["id"], conv["updated_at"], conv["output"]
    assert as_id is not None and as_time is not None and as_json is not None
    now = utcnow()
    at = as_time(now)
    pending = writes.checkpoints
    parts = _boundary_parts(pending)
    tenant = as_id(tenant_id)
    cur = connection.cursor()
    try:
        present: set[str] = set()
        for start in range(0, len(parts.known), _SQLITE_PARTS_PER_STATEMENT):
            digests = parts.known[start : start + _SQLITE_PARTS_PER_STATEMENT]
            marks = ", ".join("?" for _ in digests)
            cur.execute(
                f"SELECT digest FROM checkpoint_blobs WHERE tenant_id = ? AND digest IN ({marks})",
                (tenant, *digests),
            )
            present.update(digest for (digest,) in cur.fetchall())
        if len(present) != len(parts.known):
            raise PartsMissing(present)
        fenced = cur.execute(
            _SQLITE_FENCE,
            (
                as_time(lease_until),
                at,
                at,
                len(pending),
                current_checkpoint,
                last_successful_checkpoint,
                as_id(execution_id),
                worker_id,
            ),
        ).fetchone()
        if fenced is None:
            raise LeaseLost(str(execution_id))
        status, count = str(fenced[0]), int(fenced[1])
        first = count - len(pending)
        new_digests: set[str] = set()
        for start in range(0, len(parts.rows), _SQLITE_PARTS_PER_STATEMENT):
            chunk = parts.rows[start : start + _SQLITE_PARTS_PER_STATEMENT]
            values: list[Any] = []
            for part in chunk:
                values += (tenant, part["digest"], part["compression"], part["raw_size"])
                values += (part["stored_size"], part["data"], part["location"], at)
            cur.execute(_sqlite_parts(len(chunk)), values)
            new_digests.update(digest for (digest,) in cur.fetchall())
        if pending:
            values = _sqlite_checkpoint_values(dialect, pending, first)
            _sqlite_insert_rows(cur, "checkpoints", _CHECKPOINT_COLUMNS, values)
        for row, i in announcing:
            row["payload"]["checkpoint_index"] = first + i
        _sqlite_rows(cur, as_id, as_time, as_json, at, writes, event_rows)
    finally:
        cur.close()
    return status, count, new_digests


def _sqlite_rows(
    cur: Any,
    as_id: Callable[[Any], Any],
    as_time: Callable[[Any], Any],
    as_json: Callable[[Any], Any],
    at: Any,
    writes: BoundaryWrites,
    event_rows: list[dict[str, Any]],
) -> None:
    if writes.agents:
        cur.executemany(
            _SQLITE_AGENT,
            [
                (
                    a["status"],
                    _opt(as_time, a.get("started_at")),
                    _opt(as_time, a.get("completed_at")),
                    _opt(as_json, a.get("output")),
                    a.get("duration_ms"),
                    a.get("error"),
                    at,
                    as_id(a["id"]),
                )
                for a in writes.agents
            ],
        )
    if writes.finished_attempts:
        cur.executemany(
            _SQLITE_FINISH,
            [(f["status"], at, f.get("error"), as_id(f["id"])) for f in writes.finished_attempts],
        )
    if writes.new_attempts:
        values: list[Any] = []
        for r in writes.new_attempts:
            values += (as_id(r["id"]), as_id(r["execution_id"]), r["step"], r["agent_name"])
            values += (r["attempt"], r["worker_id"], r["status"], as_time(r["started_at"]))
        cur.execute(
            _sqlite_insert("step_attempts", _ATTEMPT_COLUMNS, len(writes.new_attempts)), values
        )
    if event_rows:
        values = []
        for e in event_rows:
            values += (as_id(e["tenant_id"]), as_id(e["execution_id"]), e["event_type"])
            values += (as_json(e["payload"]), as_time(e["created_at"]))
        _sqlite_insert_rows(cur, "execution_events", _EVENT_COLUMNS, values)


def _sqlite_checkpoint_values(
    dialect: Any, pending: list[PendingCheckpoint], first: int
) -> list[Any]:
    """The boundary's checkpoint rows as one flat list of driver values, in column order.
    A JSON value several rows share (the manifest of a state checkpointed twice) is
    serialized once."""
    converters = _checkpoint_converters(dialect)
    texts: dict[int, Any] = {}
    values: list[Any] = []
    for i, one in enumerate(pending):
        row = one.row
        for name, convert in converters:
            value = first + i if name == "checkpoint_index" else row[name]
            if value is None or convert is None:
                values.append(value)
            elif isinstance(value, dict | list):
                text = texts.get(id(value))
                if text is None:
                    text = texts[id(value)] = convert(value)
                values.append(text)
            else:
                values.append(convert(value))
    return values


_converters: dict[int, list[tuple[str, driver.Processor]]] = {}


def _checkpoint_converters(dialect: Any) -> list[tuple[str, driver.Processor]]:
    found = _converters.get(id(dialect))
    if found is None:
        procs = driver.processors(dialect, CHECKPOINTS)
        found = _converters[id(dialect)] = [(name, procs[name]) for name in _CHECKPOINT_COLUMNS]
    return found


def _opt(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)
