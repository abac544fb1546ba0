"""Claiming executions and keeping their leases.

A worker claims an execution that is ``pending``, or ``running`` with no live lease (a
resumed execution, or one whose worker died), in one UPDATE ... RETURNING over a candidate
chosen with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: concurrent workers never block on or
take the same row. The per-tenant ``max_concurrent_executions`` is checked in that statement;
to make it exact across workers, claimers serialize on a transaction-scoped advisory lock
(claims are rare and short next to steps) and claim one row per statement, so each statement
sees the claims before it. On SQLite, BEGIN IMMEDIATE gives the same serialization.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.engine import Dialect

from omium.clock import utcnow
from omium.engine import driver
from omium.store.db import Database
from omium.store.models import Execution
from omium.types import ExecutionStatus

EX = cast(Table, Execution.__table__)
_CLAIM_LOCK = 0x0DA1_0001
DEFAULT_TENANT_LIMIT = 10


# A tenant's live leases (counted through idx_executions_tenant_lease), other than ``{me}``,
# against its limit.
_UNDER_LIMIT = """(SELECT count(*) FROM executions o
         WHERE o.tenant_id = {me}.tenant_id AND o.lease_owner IS NOT NULL
           AND o.lease_expires_at >= :now AND o.id != {me}.id)
        < coalesce((SELECT t.max_concurrent_executions FROM tenants t
                    WHERE t.id = {me}.tenant_id), :default_limit)"""
_CLAIMABLE = """({me}.status = '{pending}'
         OR ({me}.status = '{running}'
             AND ({me}.lease_owner IS NULL OR {me}.lease_expires_at < :now)))"""
_SET_CLAIMED = """UPDATE executions SET
  status = '{running}',
  lease_owner = :owner,
  lease_expires_at = :until,
  heartbeat_at = :now,
  started_at = coalesce(started_at, :now),
  updated_at = :now"""

_CLAIM = (
    _SET_CLAIMED
    + """
WHERE id = (
  SELECT e.id FROM executions e
  WHERE {claimable} AND {under_limit}
  ORDER BY e.created_at
  LIMIT 1 {lock})
RETURNING id, tenant_id
"""
)

# One known execution: no candidate search. On PostgreSQL a row another transaction holds
# (a control service changing it) is waited for and then checked again, not skipped.
_CLAIM_ONE = (
    _SET_CLAIMED
    + """
WHERE id = :only AND {claimable} AND {under_limit}
RETURNING id, tenant_id, started_at
"""
)


def _claim_sql(pg: bool) -> str:
    return _CLAIM.format(
        claimable=_CLAIMABLE.format(
            me="e", pending=ExecutionStatus.PENDING.value, running=ExecutionStatus.RUNNING.value
        ),
        under_limit=_UNDER_LIMIT.format(me="e"),
        running=ExecutionStatus.RUNNING.value,
        lock="FOR UPDATE OF e SKIP LOCKED" if pg else "",
    )


_CLAIM_ONE_SQL = _CLAIM_ONE.format(
    claimable=_CLAIMABLE.format(
        me="executions",
        pending=ExecutionStatus.PENDING.value,
        running=ExecutionStatus.RUNNING.value,
    ),
    under_limit=_UNDER_LIMIT.format(me="executions"),
    running=ExecutionStatus.RUNNING.value,
)


@dataclass(frozen=True)
class LeaseRequest:
    """Who claims, and for how long: a claim made with the start of an execution."""

    owner: str
    seconds: float


@dataclass(frozen=True)
class Claimed:
    execution_id: uuid.UUID
    tenant_id: uuid.UUID
    started_at: datetime
    lease_expires_at: datetime


def claim_one_statements(
    dialect: Dialect, execution_id: uuid.UUID, lease: LeaseRequest, now: datetime
) -> list[driver.Statement]:
    """The statements claiming ``execution_id`` (if claimable and under its tenant's limit),
    for :func:`driver.transaction`: on PostgreSQL first the claim lock, which makes the
    tenant's count exact (contract 6). The claim's rows: (id, tenant_id, started_at)."""
    procs = driver.processors(dialect, EX)
    as_uuid = procs["id"] or _same
    as_time = procs["lease_expires_at"] or _same
    params = {
        "owner": lease.owner,
        "until": as_time(now + timedelta(seconds=lease.seconds)),
        "now": as_time(now),
        "default_limit": DEFAULT_TENANT_LIMIT,
        "only": as_uuid(execution_id),
    }
    statements: list[driver.Statement] = []
    if dialect.name == "postgresql":
        statements.append(("claims.lock", _LOCK_SQL, {"k": _CLAIM_LOCK}))
    statements.append(("claims.claim_one", _CLAIM_ONE_SQL, params))
    return statements


def claimed_row(
    dialect: Dialect, rows: list[tuple[Any, ...]], lease: LeaseRequest, now: datetime
) -> Claimed | None:
    """What the claim statement of :func:`claim_one_statements` returned."""
    if not rows:
        return None
    read = driver.result_processors(dialect, EX)["started_at"]
    execution_id, tenant_id, started_at = rows[0]
    return Claimed(
        _uuid(execution_id),
        _uuid(tenant_id),
        driver.read(read, started_at),
        now + timedelta(seconds=lease.seconds),
    )


def claim_one(db: Database, execution_id: uuid.UUID, lease: LeaseRequest) -> Claimed | None:
    """Claim ``execution_id`` in one transaction (one round trip on PostgreSQL)."""
    now = utcnow()
    with db.statements() as conn:
        statements = claim_one_statements(conn.dialect, execution_id, lease, now)
        rows = driver.transaction(conn, statements)[-1]
        return claimed_row(conn.dialect, rows, lease, now)


def claim(
    db: Database,
    worker_id: str,
    *,
    limit: int,
    lease_seconds: float,
    execution_id: uuid.UUID | None = None,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Claim up to ``limit`` executions (or only ``execution_id``); returns (id, tenant_id)."""
    if limit <= 0:
        return []
    if execution_id is not None:
        one = claim_one(db, execution_id, LeaseRequest(worker_id, lease_seconds))
        return [(one.execution_id, one.tenant_id)] if one else []
    claimed: list[tuple[uuid.UUID, uuid.UUID]] = []
    pg = db.dialect == "postgresql"
    procs = driver.processors(db.engine.dialect, EX)
    as_time = procs["lease_expires_at"] or _same
    text = _claim_sql(pg)
    with db.session() as session:
        if pg:
            driver.execute(session, "claims.lock", _LOCK_SQL, {"k": _CLAIM_LOCK})
        for _ in range(limit):
            now = utcnow()
            params: dict[str, Any] = {
                "owner": worker_id,
                "until": as_time(now + timedelta(seconds=lease_seconds)),
                "now": as_time(now),
                "default_limit": DEFAULT_TENANT_LIMIT,
            }
            rows = driver.execute(session, "claims.claim", text, params)
            if not rows:
                break
            claimed.append((_uuid(rows[0][0]), _uuid(rows[0][1])))
        session.commit()
    return claimed


_LOCK_SQL = "SELECT pg_advisory_xact_lock(:k)"


def _same(value: Any) -> Any:
    return value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def heartbeat(
    db: Database, worker_id: str, execution_ids: list[uuid.UUID], lease_seconds: float
) -> set[uuid.UUID]:
    """Renew our leases; returns the ids we still hold (the rest were taken from us)."""
    if not execution_ids:
        return set()
    now = utcnow()
    with db.session() as session:
        rows = session.execute(
            update(EX)
            .where(EX.c.id.in_(execution_ids), EX.c.lease_owner == worker_id)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), heartbeat_at=now)
            .returning(EX.c.id)
        ).all()
        session.commit()
    return {r[0] for r in rows}


def release_all(db: Database, worker_id: str) -> int:
    """Give back every lease this worker holds (shutdown after the grace period)."""
    with db.session() as session:
        result = session.execute(
            update(EX)
            .where(EX.c.lease_owner == worker_id)
            .values(lease_owner=None, lease_expires_at=None)
        )
        session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
