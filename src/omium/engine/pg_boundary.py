"""A step boundary on PostgreSQL: one server-prepared statement.

The boundary's rows go in one statement of data-modifying CTEs, each depending on the
fenced execution update ``x`` (see :data:`_TEMPLATE`). The text is written once per variant
(a middle boundary; the first, which also inserts the agents rows; the last, which also
completes the execution and writes its metrics) in PostgreSQL's own ``$n`` form, and sent
through a raw cursor with ``prepare=True``: psycopg neither converts nor caches the long
text on each call, and the server parses and plans it once per connection (a generic plan
after its first five runs).

Every parameter is sent with the same type on every call, so one prepared statement serves
every boundary of a variant: text (type unknown, cast in the statement) for strings, numbers,
arrays and JSON, ``timestamp`` for times and one ``bytea`` for the part data (the parts'
bytes end to end, cut by their sizes in the statement).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from omium.ids import time_ordered_uuid

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass
class Completion:
    """What completing the execution writes with its last boundary (when it is running)."""

    completed_at: datetime
    result: dict[str, Any]
    output: dict[str, Any]
    duration_ms: int
    #: the execution's current and last successful checkpoint once completed
    checkpoint: str | None
    checkpoint_overhead_ms: int
    consensus_overhead_ms: int
    retry_count: int
    #: (agents row, duration ms) of each done step: its agent_metrics row
    agent_durations: list[tuple[uuid.UUID, int]]
    #: the ``execution_completed`` outbox row
    event_row: dict[str, Any]
    measured_at: datetime
    metrics_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class Statement:
    text: bytes
    names: tuple[str, ...]


def positional(text: str) -> Statement:
    """``text`` with its ``:name`` placeholders numbered ``$1``, ``$2``... (a name used
    twice keeps its number), whitespace squeezed."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Statement(_NAMED.sub(number, " ".join(text.split())).encode(), tuple(names))


_K = """
k AS (
  SELECT digest FROM checkpoint_blobs
  WHERE tenant_id = :tenant::uuid AND digest = ANY(:known::varchar[])
  FOR KEY SHARE)"""

_FENCE = """
  WHERE id = :id::uuid AND lease_owner = :owner::varchar
    AND (SELECT count(*) FROM k) = :known_count::int
  RETURNING status, checkpoint_count)"""

# The lease is renewed only once half of it has run out: the worker's heartbeat renews it
# anyway, and the execution update must change no indexed column to stay a HOT update
# (no index entries written); no index holds ``lease_expires_at`` since migration 0007.
_X = (
    """
x AS (
  UPDATE executions SET
    lease_expires_at = CASE WHEN lease_expires_at >= :renew_after THEN lease_expires_at
                            ELSE :lease_until END,
    heartbeat_at = :now,
    updated_at = :now,
    checkpoint_count = COALESCE(checkpoint_count, 0) + :n::int,
    current_checkpoint = COALESCE(:current::varchar, current_checkpoint),
    last_successful_checkpoint = COALESCE(:last_ok::varchar, last_successful_checkpoint)"""
    + _FENCE
)

# The last boundary completes a running execution in the same update (a paused one only
# takes the boundary: it completes once resumed).
_X_FINAL = (
    """
x AS (
  UPDATE executions SET
    status = CASE WHEN status = 'running' THEN 'completed' ELSE status END,
    completed_at = CASE WHEN status = 'running' THEN :completed_at ELSE completed_at END,
    result = CASE WHEN status = 'running' THEN :result::jsonb ELSE result END,
    output = CASE WHEN status = 'running' THEN :output::jsonb ELSE output END,
    duration_ms = CASE WHEN status = 'running' THEN :duration::int ELSE duration_ms END,
    error = CASE WHEN status = 'running' THEN NULL ELSE error END,
    lease_owner = CASE WHEN status = 'running' THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN status = 'running' THEN NULL
                            WHEN lease_expires_at >= :renew_after THEN lease_expires_at
                            ELSE :lease_until END,
    heartbeat_at = :now,
    updated_at = :now,
    checkpoint_count = COALESCE(checkpoint_count, 0) + :n::int,
    current_checkpoint = CASE WHEN status = 'running' THEN :final_checkpoint::varchar
                              ELSE COALESCE(:current::varchar, current_checkpoint) END,
    last_successful_checkpoint = CASE
      WHEN status = 'running' THEN :final_checkpoint::varchar
      ELSE COALESCE(:last_ok::varchar, last_successful_checkpoint) END"""
    + _FENCE
)

# The parts' bytes come end to end in one bytea, each cut out by its stored size (an
# array of bytea would be typed unknown when empty: a second prepared statement).
_PARTS = """
p AS (
  INSERT INTO checkpoint_blobs
    (tenant_id, digest, compression, raw_size, stored_size, data, location, created_at)
  SELECT :tenant::uuid, v.digest, v.compression, v.raw_size, v.stored_size,
         CASE WHEN v.location IS NULL
              THEN substring(:datas::bytea FROM v.offset_ + 1 FOR v.stored_size) END,
         v.location, :now
  FROM unnest(:digests::varchar[], :compressions::varchar[], :raw_sizes::int[],
              :stored_sizes::int[], :offsets::int[], :locations::varchar[])
       AS v(digest, compression, raw_size, stored_size, offset_, location)
  WHERE EXISTS (SELECT 1 FROM x)
  ON CONFLICT DO NOTHING
  RETURNING digest)"""

_CHECKPOINTS = """
c AS (
  INSERT INTO checkpoints (id, execution_id, agent_id, checkpoint_name, checkpoint_index,
    state_size_bytes, state_blob_uri, checksum, preconditions, postconditions,
    validation_passed, metadata, compression_type, created_at, expires_at, superseded_at,
    state_manifest)
  SELECT v.id, v.execution_id, v.agent_id, v.checkpoint_name,
         x.checkpoint_count - :n::int + v.ordinal, v.state_size_bytes, v.state_blob_uri,
         v.checksum, v.preconditions, v.postconditions, v.validation_passed, v.metadata,
         v.compression_type, v.created_at, v.expires_at, NULL, v.state_manifest
  FROM jsonb_to_recordset(:checkpoints::jsonb) AS v(
    id uuid, execution_id uuid, agent_id uuid, checkpoint_name text, ordinal int,
    state_size_bytes bigint, state_blob_uri text, checksum text, preconditions jsonb,
    postconditions jsonb, validation_passed boolean, metadata jsonb, compression_type text,
    created_at timestamp, expires_at timestamp, state_manifest jsonb)
  CROSS JOIN x
  RETURNING 1)"""

# Each UPDATE is driven by ``unnest(ids)``, which the planner guesses at 10 rows: a nested
# loop probing the primary key, whatever the table's size and statistics. Joined on the
# recordset alone (guessed at 100 rows), or filtered by ``id = ANY(ids)``, the generic plan
# hashes a sequential scan of the table; a plan made while the table was small (or never
# analyzed) keeps scanning it on that connection as it grows.
_AGENTS = """
ag AS (
  UPDATE agents a SET
    status = v.status,
    started_at = COALESCE(v.started_at, a.started_at),
    completed_at = COALESCE(v.completed_at, a.completed_at),
    output = COALESCE(v.output, a.output),
    duration_ms = COALESCE(v.duration_ms, a.duration_ms),
    error = v.error,
    updated_at = :now
  FROM unnest(:agent_ids::uuid[]) AS i(id), jsonb_to_recordset(:agents::jsonb) AS v(
    id uuid, status text, started_at timestamp, completed_at timestamp, output jsonb,
    duration_ms int, error text)
  WHERE a.id = i.id AND v.id = i.id AND EXISTS (SELECT 1 FROM x)
  RETURNING 1)"""

# The first boundary inserts the agents rows (their first update applied in Python: a
# statement's CTEs do not see each other's rows).
_NEW_AGENTS = """
an AS (
  INSERT INTO agents (id, execution_id, name, agent_type, framework, status, config,
    started_at, completed_at, output, error, duration_ms, llm_calls, tokens_used,
    created_at, updated_at)
  SELECT v.id, v.execution_id, v.name, v.agent_type, v.framework, v.status, v.config,
         v.started_at, v.completed_at, v.output, v.error, v.duration_ms, 0, 0, :now, :now
  FROM jsonb_to_recordset(:new_agents::jsonb) AS v(
    id uuid, execution_id uuid, name text, agent_type text, framework text, status text,
    config jsonb, started_at timestamp, completed_at timestamp, output jsonb, error text,
    duration_ms int)
  WHERE EXISTS (SELECT 1 FROM x)
  RETURNING 1)"""

_ATTEMPTS = """
af AS (
  UPDATE step_attempts t SET status = v.status, finished_at = :now, error = v.error
  FROM unnest(:finished_ids::uuid[]) AS i(id),
       jsonb_to_recordset(:finished::jsonb) AS v(id uuid, status text, error text)
  WHERE t.id = i.id AND v.id = i.id AND EXISTS (SELECT 1 FROM x)
  RETURNING 1),
ai AS (
  INSERT INTO step_attempts (id, execution_id, step, agent_name, attempt, worker_id, status,
                             started_at)
  SELECT v.id, v.execution_id, v.step, v.agent_name, v.attempt, v.worker_id, v.status,
         v.started_at
  FROM jsonb_to_recordset(:attempts::jsonb) AS v(
    id uuid, execution_id uuid, step int, agent_name text, attempt int, worker_id text,
    status text, started_at timestamp)
  WHERE EXISTS (SELECT 1 FROM x)
  RETURNING 1)"""

# An event row naming a status (``requires``) is written only if the execution has it
# after ``x`` (execution_completed: only when the last boundary completed it).
_EVENTS = """
ev AS (
  INSERT INTO execution_events (tenant_id, execution_id, event_type, payload, created_at)
  SELECT v.tenant_id, v.execution_id, v.event_type,
         CASE WHEN v.ordinal IS NULL THEN v.payload
              ELSE jsonb_set(v.payload, '{checkpoint_index}',
                             to_jsonb(x.checkpoint_count - :n::int + v.ordinal)) END,
         v.created_at
  FROM jsonb_to_recordset(:events::jsonb) AS v(
    tenant_id uuid, execution_id uuid, event_type text, payload jsonb, created_at timestamp,
    ordinal int, requires text)
  CROSS JOIN x
  WHERE v.requires IS NULL OR v.requires = x.status
  RETURNING 1)"""

# The metrics count this boundary's checkpoints too (``:n``): the statement's own inserts
# are not visible to its subqueries.
_METRICS = """
m AS (
  INSERT INTO execution_metrics (id, execution_id, total_duration_ms, checkpoint_overhead_ms,
    consensus_overhead_ms, total_llm_calls, total_tokens, total_cost_usd, checkpoint_count,
    rollback_count, failure_count, retry_count, measured_at)
  SELECT :metrics_id::uuid, :id::uuid, :duration::int, :checkpoint_ms::int,
    :consensus_ms::int, 0, 0, 0.00,
    (SELECT count(*) FROM checkpoints WHERE execution_id = :id::uuid) + :n::int,
    (SELECT count(*) FROM rollbacks WHERE execution_id = :id::uuid),
    (SELECT count(*) FROM failures WHERE execution_id = :id::uuid),
    :retry_count::int, :measured_at
  FROM x WHERE x.status = 'completed'
  RETURNING 1),
am AS (
  INSERT INTO agent_metrics (id, agent_id, execution_id, duration_ms, llm_provider, llm_model,
    llm_calls, tokens_used, cost_usd, tool_calls, tool_failures, measured_at)
  SELECT v.id, v.agent_id, :id::uuid, v.duration_ms, NULL, NULL, 0, 0, 0.00, 0, 0,
         :measured_at
  FROM jsonb_to_recordset(:agent_metrics::jsonb) AS v(id uuid, agent_id uuid, duration_ms int)
  CROSS JOIN x
  WHERE x.status = 'completed'
  RETURNING 1)"""

_RESULT = """
SELECT (SELECT status FROM x), (SELECT checkpoint_count FROM x),
       ARRAY(SELECT digest FROM p), ARRAY(SELECT digest FROM k)
"""


def _build(first: bool, final: bool) -> Statement:
    parts = [_K, _X_FINAL if final else _X, _PARTS, _CHECKPOINTS, _AGENTS]
    if first:
        parts.append(_NEW_AGENTS)
    parts += [_ATTEMPTS, _EVENTS]
    if final:
        parts.append(_METRICS)
    return positional("WITH" + ",".join(parts) + _RESULT)


_STATEMENTS = {
    (first, final): _build(first, final) for first in (False, True) for final in (False, True)
}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        # The columns are UTC timestamps without a zone.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def to_json(value: Any) -> str:
    """JSON text of rows for ``jsonb_to_recordset``: UUIDs hyphenated, times as naive UTC."""
    return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS).decode()


def naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _texts(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


@dataclass
class Outcome:
    status: str | None
    count: int
    new_digests: list[str]
    present: list[str]


def params(
    *,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    worker_id: str,
    now: datetime,
    lease_until: datetime,
    known: list[str],
    part_rows: list[dict[str, Any]],
    checkpoint_rows: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    new_agents: list[dict[str, Any]],
    finished: list[dict[str, Any]],
    attempts: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
    current: str | None,
    last_ok: str | None,
    completion: Completion | None,
) -> tuple[Statement, list[Any]]:
    """The statement of this boundary's variant and its parameters, in order."""
    if new_agents:
        # The first update of a row inserted by the same statement is applied to the row.
        updates = {a["id"]: a for a in agents}
        new_agents = [{**row, **updates.pop(row["id"], {})} for row in new_agents]
        agents = list(updates.values())
    offsets: list[int] = []
    datas: list[bytes] = []
    offset = 0
    for part in part_rows:
        offsets.append(offset)
        data = part["data"]
        if data is not None:
            datas.append(data)
            offset += len(data)
    values: dict[str, Any] = {
        "tenant": str(tenant_id),
        "known": known,
        "known_count": str(len(known)),
        "n": str(len(checkpoint_rows)),
        "now": naive(now),
        "lease_until": naive(lease_until),
        "renew_after": naive(lease_until - (lease_until - now) / 2),
        "digests": [p["digest"] for p in part_rows],
        "compressions": [p["compression"] for p in part_rows],
        "raw_sizes": _texts(p["raw_size"] for p in part_rows),
        "stored_sizes": _texts(p["stored_size"] for p in part_rows),
        "offsets": _texts(offsets),
        "locations": [p["location"] for p in part_rows],
        "datas": b"".join(datas),
        "checkpoints": to_json(checkpoint_rows),
        "agents": to_json([{"error": None, "output": None, **a} for a in agents]),
        "new_agents": to_json(new_agents),
        "finished": to_json(finished),
        "attempts": to_json(attempts),
        "agent_ids": _texts(a["id"] for a in agents),
        "finished_ids": _texts(f["id"] for f in finished),
        "events": to_json(event_rows),
        "current": current,
        "last_ok": last_ok,
        "id": str(execution_id),
        "owner": worker_id,
    }
    if completion is not None:
        values.update(
            completed_at=naive(completion.completed_at),
            result=to_json(completion.result),
            output=to_json(completion.output),
            duration=str(completion.duration_ms),
            final_checkpoint=completion.checkpoint,
            metrics_id=str(completion.metrics_id),
            checkpoint_ms=str(completion.checkpoint_overhead_ms),
            consensus_ms=str(completion.consensus_overhead_ms),
            retry_count=str(completion.retry_count),
            measured_at=naive(completion.measured_at),
            agent_metrics=to_json(
                [
                    {"id": time_ordered_uuid(), "agent_id": agent, "duration_ms": ms}
                    for agent, ms in completion.agent_durations
                ]
            ),
        )
    statement = _STATEMENTS[(bool(new_agents), completion is not None)]
    return statement, [values[name] for name in statement.names]


def execute(connection: psycopg.Connection[Any], statement: Statement, args: list[Any]) -> Outcome:
    """Run the boundary statement on ``connection`` (in its transaction, or on its own in
    autocommit), prepared on the server."""
    with psycopg.RawCursor(connection) as cur:
        cur.execute(statement.text, args, prepare=True)
        row = cur.fetchone()
    assert row is not None
    status, count, new_digests, present = row
    return Outcome(status, int(count or 0), list(new_digests), list(present))
