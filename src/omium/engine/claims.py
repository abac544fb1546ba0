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
from typing import cast

from sqlalchemy import Table, and_, func, or_, select, text, update

from omium.clock import utcnow
from omium.store.db import Database
from omium.store.models import Execution, Tenant
from omium.types import ExecutionStatus

EX = cast(Table, Execution.__table__)
TENANTS = cast(Table, Tenant.__table__)
_CLAIM_LOCK = 0x0DA1_0001
DEFAULT_TENANT_LIMIT = 10


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
    with db.session() as session:
        if pg:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})
        for _ in range(limit):
            now = utcnow()
            other = EX.alias("other")
            busy = (
                select(func.count())
                .select_from(other)
                .where(
                    other.c.tenant_id == EX.c.tenant_id,
                    other.c.lease_owner.is_not(None),
                    other.c.lease_expires_at >= now,
                    other.c.id != EX.c.id,
                )
                .scalar_subquery()
            )
            claimable = or_(
                EX.c.status == ExecutionStatus.PENDING.value,
                and_(
                    EX.c.status == ExecutionStatus.RUNNING.value,
                    or_(EX.c.lease_owner.is_(None), EX.c.lease_expires_at < now),
                ),
            )
            candidate = (
                select(EX.c.id)
                .join(TENANTS, TENANTS.c.id == EX.c.tenant_id)
                .where(
                    claimable,
                    busy < func.coalesce(TENANTS.c.max_concurrent_executions, DEFAULT_TENANT_LIMIT),
                )
                .order_by(EX.c.created_at)
                .limit(1)
            )
            if execution_id is not None:
                candidate = candidate.where(EX.c.id == execution_id)
            if pg:
                candidate = candidate.with_for_update(of=EX, skip_locked=True)
            row = session.execute(
                update(EX)
                .where(EX.c.id == candidate.scalar_subquery())
                .values(
                    status=ExecutionStatus.RUNNING.value,
                    lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    heartbeat_at=now,
                    started_at=func.coalesce(EX.c.started_at, now),
                    updated_at=now,
                )
                .returning(EX.c.id, EX.c.tenant_id)
            ).first()
            if row is None:
                break
            claimed.append((row[0], row[1]))
        session.commit()
    return claimed


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
