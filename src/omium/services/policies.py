"""Execution policies (LLD §1.1 execution_policies): CRUD; every change bumps the version."""

from __future__ import annotations

import uuid

from omium.schemas.common import Pagination
from omium.schemas.resources import Policy as PolicyOut
from omium.schemas.resources import PolicyCreate, PolicyPage, PolicyUpdate
from omium.services import audit
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import ExecutionPolicy, Workflow
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

_FIELDS = ("workflow_id", "name", "description", "policy_type", "policy_config", "is_active")


def _snapshot(row: ExecutionPolicy) -> dict[str, object]:
    return {**{f: getattr(row, f) for f in _FIELDS}, "version": row.version}


def create(db: Database, ctx: RequestContext, body: PolicyCreate) -> PolicyOut:
    with UnitOfWork(db) as uow:
        if body.workflow_id is not None:
            uow.repo(Workflow, ctx.tenant_id).require(body.workflow_id)
        row = uow.repo(ExecutionPolicy, ctx.tenant_id).add(
            ExecutionPolicy(
                workflow_id=body.workflow_id,
                name=body.name,
                description=body.description,
                policy_type=body.policy_type.value,
                policy_config=body.policy_config,
                is_active=body.is_active,
                version=1,
            )
        )
        audit.record(
            uow, ctx, "policy.create", AuditResourceType.POLICY, row.id, None, _snapshot(row)
        )
        uow.commit()
        return PolicyOut.model_validate(row)


def list_(
    db: Database,
    ctx: RequestContext,
    *,
    workflow_id: uuid.UUID | None,
    policy_type: str | None,
    is_active: bool | None,
    limit: int,
    offset: int,
) -> PolicyPage:
    criteria = []
    if workflow_id is not None:
        criteria.append(ExecutionPolicy.workflow_id == workflow_id)
    if policy_type is not None:
        criteria.append(ExecutionPolicy.policy_type == policy_type)
    if is_active is not None:
        criteria.append(ExecutionPolicy.is_active.is_(is_active))
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(ExecutionPolicy, ctx.tenant_id)
        rows = repo.list(
            *criteria,
            order_by=[ExecutionPolicy.created_at, ExecutionPolicy.id],
            limit=limit,
            offset=offset,
        )
        return PolicyPage(
            policies=[PolicyOut.model_validate(r) for r in rows],
            pagination=Pagination(total=repo.count(*criteria), limit=limit, offset=offset),
        )


def get(db: Database, ctx: RequestContext, policy_id: uuid.UUID) -> PolicyOut:
    with UnitOfWork(db, read_only=True) as uow:
        return PolicyOut.model_validate(uow.repo(ExecutionPolicy, ctx.tenant_id).require(policy_id))


def update(
    db: Database, ctx: RequestContext, policy_id: uuid.UUID, body: PolicyUpdate
) -> PolicyOut:
    with UnitOfWork(db) as uow:
        row = uow.repo(ExecutionPolicy, ctx.tenant_id).require(policy_id, for_update=True)
        old = _snapshot(row)
        changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
        if changes:
            for name, value in changes.items():
                setattr(row, name, value)
            row.version = row.version + 1
            uow.session.flush()
            audit.record(
                uow, ctx, "policy.update", AuditResourceType.POLICY, row.id, old, _snapshot(row)
            )
            uow.commit()
        return PolicyOut.model_validate(row)


def delete(db: Database, ctx: RequestContext, policy_id: uuid.UUID) -> None:
    with UnitOfWork(db) as uow:
        repo = uow.repo(ExecutionPolicy, ctx.tenant_id)
        row = repo.require(policy_id, for_update=True)
        old = _snapshot(row)
        repo.delete(row)
        audit.record(uow, ctx, "policy.delete", AuditResourceType.POLICY, policy_id, old, None)
        uow.commit()
