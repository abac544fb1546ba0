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
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, update

from omium.clock import utcnow
from omium.engine import driver
from omium.store.db import Database
from omium.store.models import Execution
from omium.types import ExecutionStatus

EX = cast(Table, Execution.__table__)
_CLAIM_LOCK = 0x0DA1_0001
DEFAULT_TENANT_LIMIT = 10


_CLAIM = """
UPDATE executions SET
  status = '{running}',
  lease_owner = :owner,
  lease_expires_at = :until,
  heartbeat_at = :now,
  started_at = coalesce(started_at, :now),
  updated_at = :now
WHERE id = (
  SELECT e.id FROM executions e JOIN tenants t ON t.id = e.tenant_id
  WHERE (e.status = '{pending}'
         OR (e.status = '{running}' AND (e.lease_owner IS NULL OR e.lease_expires_at < :now)))
    AND (SELECT count(*) FROM executions o
         WHERE o.tenant_id = e.tenant_id AND o.lease_owner IS NOT NULL
           AND o.lease_expires_at >= :now AND o.id != e.id)
        < coalesce(t.max_concurrent_executions, :default_limit)
    {only}
  ORDER BY e.created_at
  LIMIT 1 {lock})
RETURNING id, tenant_id
"""


def _claim_sql(pg: bool, one: bool) -> str:
    return _CLAIM.format(
        pending=ExecutionStatus.PENDING.value,
        running=ExecutionStatus.RUNNING.value,
        only="AND e.id = :only" if one else "",
        lock="FOR UPDATE OF e SKIP LOCKED" if pg else "",
    )


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
    claimed: list[tuple[uuid.UUID, uuid.UUID]] = []
    pg = db.dialect == "postgresql"
    procs = driver.processors(db.engine.dialect, EX)
    as_uuid = procs["id"] or _same
    as_time = procs["lease_expires_at"] or _same
    one = execution_id is not None
    text = _claim_sql(pg, one)
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
            if execution_id is not None:
                params["only"] = as_uuid(execution_id)
            rows = driver.execute(session, f"claims.claim.{one}", text, params)
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
