"""Roles of a tenant: the system roles (read-only) and custom ones."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from omium.errors import ConflictError
from omium.schemas.access import RoleCreate, RoleList, RoleOut, RoleUpdate
from omium.schemas.common import Pagination
from omium.services import audit
from omium.services.auth.cache import forget_user
from omium.services.auth.epochs import bump_auth_epoch, holders_of
from omium.services.auth.permissions import validate_permissions
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import Role
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType


def _snapshot(role: Role) -> dict[str, object]:
    return {"name": role.name, "description": role.description, "permissions": role.permissions}


def _check_name_free(uow: UnitOfWork, tenant_id: uuid.UUID, name: str) -> None:
    taken = uow.session.scalar(
        select(Role.id).where(Role.tenant_id == tenant_id, Role.name == name)
    )
    if taken is not None:
        raise ConflictError(f"A role named '{name}' exists", details={"field": "body.name"})


def create_role(db: Database, ctx: RequestContext, body: RoleCreate) -> RoleOut:
    permissions = validate_permissions(body.permissions, field="body.permissions")
    with UnitOfWork(db) as uow:
        _check_name_free(uow, ctx.tenant_id, body.name)
        role = uow.repo(Role, ctx.tenant_id).add(
            Role(
                name=body.name,
                description=body.description,
                permissions=permissions,
                is_system_role=False,
            )
        )
        audit.record(
            uow, ctx, "role.create", AuditResourceType.ROLE, role.id, None, _snapshot(role)
        )
        uow.commit()
        return RoleOut.model_validate(role)


def list_roles(db: Database, ctx: RequestContext, limit: int, offset: int) -> RoleList:
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(Role, ctx.tenant_id)
        rows = repo.list(
            order_by=[Role.is_system_role.desc(), Role.name], limit=limit, offset=offset
        )
        return RoleList(
            roles=[RoleOut.model_validate(r) for r in rows],
            pagination=Pagination(total=repo.count(), limit=limit, offset=offset),
        )


def get_role(db: Database, ctx: RequestContext, role_id: uuid.UUID) -> RoleOut:
    with UnitOfWork(db, read_only=True) as uow:
        return RoleOut.model_validate(uow.repo(Role, ctx.tenant_id).require(role_id))


def _custom(uow: UnitOfWork, ctx: RequestContext, role_id: uuid.UUID) -> Role:
    role = uow.repo(Role, ctx.tenant_id).require(role_id, for_update=True)
    if role.is_system_role:
        raise ConflictError(
            f"'{role.name}' is a system role and cannot be changed or deleted",
            details={"role_id": str(role.id)},
        )
    return role


def update_role(db: Database, ctx: RequestContext, role_id: uuid.UUID, body: RoleUpdate) -> RoleOut:
    with UnitOfWork(db) as uow:
        role = _custom(uow, ctx, role_id)
        old = _snapshot(role)
        if body.name is not None and body.name != role.name:
            _check_name_free(uow, ctx.tenant_id, body.name)
            role.name = body.name
        if body.description is not None:
            role.description = body.description
        if body.permissions is not None:
            role.permissions = validate_permissions(body.permissions, field="body.permissions")
        uow.session.flush()
        audit.record(uow, ctx, "role.update", AuditResourceType.ROLE, role.id, old, _snapshot(role))
        changed = old != _snapshot(role)
        holders = holders_of(uow.session, role.id) if changed else []
        bump_auth_epoch(uow.session, holders)
        uow.commit()
        forget_user(*holders)
        return RoleOut.model_validate(role)


def delete_role(db: Database, ctx: RequestContext, role_id: uuid.UUID) -> None:
    with UnitOfWork(db) as uow:
        role = _custom(uow, ctx, role_id)
        old = _snapshot(role)
        holders = holders_of(uow.session, role.id)
        bump_auth_epoch(uow.session, holders)
        uow.repo(Role, ctx.tenant_id).delete(role)
        audit.record(uow, ctx, "role.delete", AuditResourceType.ROLE, role_id, old, None)
        uow.commit()
        forget_user(*holders)
