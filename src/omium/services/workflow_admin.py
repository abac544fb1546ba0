"""Workflow lifecycle beyond the engine's create/publish_version: list with filters, edit the
metadata, publish, archive. Definitions are validated by the engine's parser only."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement

from omium.clock import utcnow
from omium.errors import ConflictError, ErrorCode, NotFoundError
from omium.schemas.common import Pagination
from omium.schemas.resources import WorkflowPage, WorkflowUpdate
from omium.schemas.workflows import Workflow as WorkflowOut
from omium.schemas.workflows import WorkflowCreate
from omium.services import audit
from omium.services.context import RequestContext
from omium.services.workflows import WorkflowService, to_schema
from omium.store.db import Database
from omium.store.models import Workflow
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType


def _require(uow: UnitOfWork, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
    row = uow.repo(Workflow, tenant_id).get(workflow_id, for_update=True)
    if row is None or row.deleted_at is not None:
        raise NotFoundError(
            f"Workflow with ID '{workflow_id}' not found",
            code=ErrorCode.WORKFLOW_NOT_FOUND,
            details={"workflow_id": str(workflow_id)},
        )
    return row


def create(service: WorkflowService, ctx: RequestContext, body: WorkflowCreate) -> WorkflowOut:
    if ctx.user_id is None:
        raise ConflictError("A workflow needs a creating user; this API key has none")
    with audit.audited(ctx, "workflow.create", AuditResourceType.WORKFLOW, Workflow):
        return service.create(ctx.tenant_id, body, created_by=ctx.user_id)


def list_(
    db: Database,
    ctx: RequestContext,
    *,
    status: str | None,
    tag: str | None,
    limit: int,
    offset: int,
) -> WorkflowPage:
    criteria: list[ColumnElement[bool]] = [Workflow.deleted_at.is_(None)]
    if status:
        criteria.append(Workflow.status == status)
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(Workflow, ctx.tenant_id)
        if tag:
            # Tags are TEXT[] on PostgreSQL and a JSON list on SQLite: filter in Python.
            rows = [
                r
                for r in repo.list(*criteria, order_by=[Workflow.created_at.desc()])
                if tag in (r.tags or [])
            ]
            total = len(rows)
            rows = rows[offset : offset + limit]
        else:
            rows = repo.list(
                *criteria,
                order_by=[Workflow.created_at.desc(), Workflow.id],
                limit=limit,
                offset=offset,
            )
            total = repo.count(*criteria)
        return WorkflowPage(
            workflows=[to_schema(r) for r in rows],
            pagination=Pagination(total=total, limit=limit, offset=offset),
        )


def update(
    db: Database,
    service: WorkflowService,
    ctx: RequestContext,
    workflow_id: uuid.UUID,
    body: WorkflowUpdate,
) -> WorkflowOut:
    """Edit metadata in place; a new definition is published as the next version."""
    with audit.audited(ctx, "workflow.update", AuditResourceType.WORKFLOW, Workflow):
        with UnitOfWork(db) as uow:
            row = _require(uow, ctx.tenant_id, workflow_id)
            for name in ("name", "description", "config", "tags"):
                value = getattr(body, name)
                if value is not None:
                    setattr(row, name, value)
            uow.session.flush()
            uow.commit()
            out = to_schema(row)
        if body.definition is not None:
            out = service.publish_version(ctx.tenant_id, workflow_id, body.definition)
    return out


def set_status(
    db: Database, ctx: RequestContext, workflow_id: uuid.UUID, status: str
) -> WorkflowOut:
    with UnitOfWork(db) as uow:
        row = _require(uow, ctx.tenant_id, workflow_id)
        old = {"status": row.status, "published_at": row.published_at}
        if row.status != status:
            row.status = status
            if status == "published":
                row.published_at = utcnow()
            uow.session.flush()
            audit.record(
                uow,
                ctx,
                "workflow.publish" if status == "published" else "workflow.archive",
                AuditResourceType.WORKFLOW,
                row.id,
                old,
                {"status": row.status, "published_at": row.published_at},
            )
            uow.commit()
        return to_schema(row)
