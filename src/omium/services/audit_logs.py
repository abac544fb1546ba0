"""Reading the audit log of a tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from omium.schemas.common import Pagination
from omium.schemas.resources import AuditLog as AuditLogOut
from omium.schemas.resources import AuditLogPage
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import AuditLog
from omium.store.uow import UnitOfWork


def _out(row: AuditLog) -> AuditLogOut:
    return AuditLogOut(
        id=row.id,
        user_id=row.user_id,
        api_key_id=row.api_key_id,
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        old_values=row.old_values,
        new_values=row.new_values,
        ip_address=str(row.ip_address) if row.ip_address is not None else None,
        user_agent=row.user_agent,
        request_id=row.request_id,
        metadata=dict(row.metadata_ or {}),
        created_at=row.created_at,
    )


def list_audit_logs(
    db: Database,
    ctx: RequestContext,
    *,
    resource_type: str | None,
    resource_id: uuid.UUID | None,
    action: str | None,
    user_id: uuid.UUID | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> AuditLogPage:
    criteria = []
    if resource_type:
        criteria.append(AuditLog.resource_type == resource_type)
    if resource_id:
        criteria.append(AuditLog.resource_id == resource_id)
    if action:
        criteria.append(AuditLog.action == action)
    if user_id:
        criteria.append(AuditLog.user_id == user_id)
    if since:
        criteria.append(AuditLog.created_at >= since)
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(AuditLog, ctx.tenant_id)
        rows = repo.list(
            *criteria,
            order_by=[AuditLog.created_at.desc(), AuditLog.id],
            limit=limit,
            offset=offset,
        )
        return AuditLogPage(
            audit_logs=[_out(r) for r in rows],
            pagination=Pagination(total=repo.count(*criteria), limit=limit, offset=offset),
        )
