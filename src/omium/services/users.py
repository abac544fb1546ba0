"""Users of a tenant and the roles granted to them."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from omium.clock import utcnow
from omium.errors import ConflictError, NotFoundError, PermissionDeniedError
from omium.schemas.access import RoleRef, UserCreate, UserList, UserOut, UserUpdate
from omium.schemas.common import Pagination
from omium.services import audit
from omium.services.auth.cache import forget_user
from omium.services.auth.epochs import bump_auth_epoch
from omium.services.auth.passwords import check_password_policy, hash_password
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import ApiKey, Role, User, UserRole
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

OWNER = "owner"


def _roles_of(uow: UnitOfWork, user_id: uuid.UUID) -> list[RoleRef]:
    rows = uow.session.execute(
        select(Role.id, Role.name)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
        .order_by(Role.name)
    ).all()
    return [RoleRef(id=r.id, name=r.name) for r in rows]


def _out(uow: UnitOfWork, user: User) -> UserOut:
    return UserOut(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        status=user.status,
        mfa_enabled=user.mfa_enabled,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        roles=_roles_of(uow, user.id),
    )


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "status": user.status,
    }


def _check_can_grant(ctx: RequestContext, role: Role) -> None:
    principal = ctx.principal
    assert principal is not None
    if role.name == OWNER and role.is_system_role and OWNER not in principal.roles:
        raise PermissionDeniedError(
            "Only an owner can grant or revoke the owner role",
            details={"role": OWNER},
        )


def _role_by_name(uow: UnitOfWork, tenant_id: uuid.UUID, name: str) -> Role:
    role = uow.session.scalar(select(Role).where(Role.tenant_id == tenant_id, Role.name == name))
    if role is None:
        raise NotFoundError(f"Role '{name}' not found", details={"role": name})
    return role


def create_user(db: Database, ctx: RequestContext, body: UserCreate) -> UserOut:
    if body.password is not None:
        check_password_policy(body.password, email=body.email)
    hashed = hash_password(body.password) if body.password is not None else None
    with UnitOfWork(db) as uow:
        if uow.session.scalar(select(User.id).where(User.email == body.email)) is not None:
            raise ConflictError(
                "An account with this email exists", details={"field": "body.email"}
            )
        roles = [_role_by_name(uow, ctx.tenant_id, name) for name in dict.fromkeys(body.roles)]
        for role in roles:
            _check_can_grant(ctx, role)
        user = uow.repo(User, ctx.tenant_id).add(
            User(
                email=body.email,
                hashed_password=hashed,
                first_name=body.first_name,
                last_name=body.last_name,
                status="active" if hashed else "invited",
            )
        )
        for role in roles:
            uow.session.add(UserRole(user_id=user.id, role_id=role.id, granted_by=ctx.user_id))
        uow.session.flush()
        audit.record(
            uow,
            ctx,
            "user.create",
            AuditResourceType.USER,
            user.id,
            None,
            {**_snapshot(user), "roles": [r.name for r in roles]},
        )
        uow.commit()
        return _out(uow, user)


def list_users(db: Database, ctx: RequestContext, limit: int, offset: int) -> UserList:
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(User, ctx.tenant_id)
        rows = repo.list(order_by=[User.created_at, User.id], limit=limit, offset=offset)
        return UserList(
            users=[_out(uow, u) for u in rows],
            pagination=Pagination(total=repo.count(), limit=limit, offset=offset),
        )


def get_user(db: Database, ctx: RequestContext, user_id: uuid.UUID) -> UserOut:
    with UnitOfWork(db, read_only=True) as uow:
        return _out(uow, uow.repo(User, ctx.tenant_id).require(user_id))


def _owner_count(uow: UnitOfWork, tenant_id: uuid.UUID) -> int:
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(UserRole)
            .join(Role, Role.id == UserRole.role_id)
            .join(User, User.id == UserRole.user_id)
            .where(
                Role.tenant_id == tenant_id,
                Role.name == OWNER,
                Role.is_system_role.is_(True),
                User.status == "active",
            )
        )
        or 0
    )


def _is_owner(uow: UnitOfWork, user_id: uuid.UUID) -> bool:
    return OWNER in {r.name for r in _roles_of(uow, user_id)}


def _revoke_keys_of(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    uow.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def update_user(db: Database, ctx: RequestContext, user_id: uuid.UUID, body: UserUpdate) -> UserOut:
    if body.password is not None:
        check_password_policy(body.password)
    with UnitOfWork(db) as uow:
        user = uow.repo(User, ctx.tenant_id).require(user_id, for_update=True)
        old = _snapshot(user)
        if body.first_name is not None:
            user.first_name = body.first_name
        if body.last_name is not None:
            user.last_name = body.last_name
        if body.password is not None:
            user.hashed_password = hash_password(body.password)
            if user.status == "invited":
                user.status = "active"
        status_changed = body.status is not None and body.status != user.status
        if body.status is not None and status_changed:
            if body.status == "disabled":
                if user.id == ctx.user_id:
                    raise ConflictError("You cannot disable yourself")
                if _is_owner(uow, user.id) and _owner_count(uow, ctx.tenant_id) <= 1:
                    raise ConflictError("The last owner cannot be disabled")
                _revoke_keys_of(uow, user.id)
            user.status = body.status
        uow.session.flush()
        new = _snapshot(user)
        if body.password is not None:
            new["password_changed"] = True
        audit.record(uow, ctx, "user.update", AuditResourceType.USER, user.id, old, new)
        if status_changed:
            bump_auth_epoch(uow.session, [user.id])
        uow.commit()
        if status_changed:
            forget_user(user.id)
        return _out(uow, user)


def delete_user(db: Database, ctx: RequestContext, user_id: uuid.UUID) -> None:
    with UnitOfWork(db) as uow:
        repo = uow.repo(User, ctx.tenant_id)
        user = repo.require(user_id, for_update=True)
        if user.id == ctx.user_id:
            raise ConflictError("You cannot delete yourself")
        if _is_owner(uow, user.id) and _owner_count(uow, ctx.tenant_id) <= 1:
            raise ConflictError("The last owner cannot be deleted")
        old = _snapshot(user)
        # Keys outlive their user only as revoked rows (the FK would otherwise null them).
        _revoke_keys_of(uow, user.id)
        try:
            repo.delete(user)
            audit.record(uow, ctx, "user.delete", AuditResourceType.USER, user_id, old, None)
            # The audit trail's references are checked at the commit (deferred).
            uow.commit()
        except IntegrityError:
            raise ConflictError(
                "This user has created workflows or has an audit trail and cannot be deleted; "
                "disable them instead",
                details={"user_id": str(user_id)},
            ) from None
    forget_user(user_id)


def grant_role(
    db: Database, ctx: RequestContext, user_id: uuid.UUID, role_id: uuid.UUID
) -> UserOut:
    with UnitOfWork(db) as uow:
        user = uow.repo(User, ctx.tenant_id).require(user_id)
        role = uow.repo(Role, ctx.tenant_id).require(role_id)
        _check_can_grant(ctx, role)
        if uow.session.get(UserRole, (user.id, role.id)) is None:
            uow.session.add(UserRole(user_id=user.id, role_id=role.id, granted_by=ctx.user_id))
            uow.session.flush()
            audit.record(
                uow,
                ctx,
                "user.grant_role",
                AuditResourceType.USER,
                user.id,
                None,
                {"role_id": role.id, "role": role.name},
            )
            bump_auth_epoch(uow.session, [user.id])
            uow.commit()
            forget_user(user.id)
        return _out(uow, user)


def revoke_role(
    db: Database, ctx: RequestContext, user_id: uuid.UUID, role_id: uuid.UUID
) -> UserOut:
    with UnitOfWork(db) as uow:
        user = uow.repo(User, ctx.tenant_id).require(user_id)
        role = uow.repo(Role, ctx.tenant_id).require(role_id)
        _check_can_grant(ctx, role)
        grant = uow.session.get(UserRole, (user.id, role.id))
        if grant is None:
            raise NotFoundError(
                "The user does not have this role",
                details={"user_id": str(user_id), "role_id": str(role_id)},
            )
        if role.name == OWNER and role.is_system_role and _owner_count(uow, ctx.tenant_id) <= 1:
            raise ConflictError("The last owner keeps the owner role")
        uow.session.delete(grant)
        uow.session.flush()
        audit.record(
            uow,
            ctx,
            "user.revoke_role",
            AuditResourceType.USER,
            user.id,
            {"role_id": role.id, "role": role.name},
            None,
        )
        bump_auth_epoch(uow.session, [user.id])
        uow.commit()
        forget_user(user.id)
        return _out(uow, user)
