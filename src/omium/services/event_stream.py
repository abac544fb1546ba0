"""Reading an execution's events from the outbox (execution_events), for SSE and clients."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import Execution, ExecutionEvent
from omium.store.uow import UnitOfWork

TERMINAL = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event_type: str
    payload: dict[str, Any]
    created_at: datetime


def require_execution(db: Database, ctx: RequestContext, execution_id: uuid.UUID) -> None:
    """404 EXECUTION_NOT_FOUND unless the execution is the caller's tenant's."""
    with UnitOfWork(db, read_only=True) as uow:
        uow.repo(Execution, ctx.tenant_id).require(execution_id)


def events_after(
    db: Database, ctx: RequestContext, execution_id: uuid.UUID, after: int, *, limit: int = 500
) -> tuple[list[StoredEvent], bool]:
    """Events with id > ``after``, oldest first, and whether the execution has finished."""
    with UnitOfWork(db, read_only=True) as uow:
        status = uow.session.scalar(
            select(Execution.status).where(
                Execution.id == execution_id, Execution.tenant_id == ctx.tenant_id
            )
        )
        rows = uow.session.scalars(
            select(ExecutionEvent)
            .where(
                ExecutionEvent.execution_id == execution_id,
                ExecutionEvent.tenant_id == ctx.tenant_id,
                ExecutionEvent.id > after,
            )
            .order_by(ExecutionEvent.id)
            .limit(limit)
        ).all()
        events = [
            StoredEvent(r.id, r.event_type, dict(r.payload or {}), r.created_at) for r in rows
        ]
    return events, status is None or status in TERMINAL
