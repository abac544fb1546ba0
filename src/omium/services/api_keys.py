"""API keys: created with a secret shown once, stored hashed, listed, revoked."""

from __future__ import annotations

import uuid

from omium.clock import utcnow
from omium.errors import AuthError, PermissionDeniedError, ValidationError
from omium.schemas.access import ApiKey as ApiKeyOut
from omium.schemas.access import ApiKeyCreate, ApiKeyCreated, ApiKeyList
from omium.schemas.common import Pagination
from omium.services import audit
from omium.services.auth.api_key_format import new_api_key
from omium.services.auth.cache import forget_api_key
from omium.services.auth.permissions import validate_permissions
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import ApiKey
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

#: Who may see and revoke every key of the tenant, not only their own.
MANAGE_ALL = "user:update"


def _snapshot(row: ApiKey) -> dict[str, object]:
    return {
        "name": row.name,
        "key_prefix": row.key_prefix,
        "permissions": row.permissions,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
    }


def create_api_key(db: Database, ctx: RequestContext, body: ApiKeyCreate) -> ApiKeyCreated:
    principal = ctx.principal
    assert principal is not None
    if principal.user_id is None:
        raise AuthError("An API key without a user cannot create keys")
    wanted = (
        validate_permissions(body.permissions, field="body.permissions")
        if body.permissions is not None
        else sorted(principal.permissions)
    )
    beyond = sorted(set(wanted) - principal.permissions)
    if beyond:
        raise PermissionDeniedError(
            "A key cannot hold permissions its creator does not have",
            details={"permissions": beyond},
        )
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ValidationError(
            "expires_at must be in the future", details={"field": "body.expires_at"}
        )
    key, prefix, digest = new_api_key()
    with UnitOfWork(db) as uow:
        row = uow.repo(ApiKey, ctx.tenant_id).add(
            ApiKey(
                user_id=principal.user_id,
                name=body.name,
                key_hash=digest,
                key_prefix=prefix,
                permissions=wanted,
                expires_at=body.expires_at,
            )
        )
        audit.record(
            uow, ctx, "api_key.create", AuditResourceType.API_KEY, row.id, None, _snapshot(row)
        )
        uow.commit()
        return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


def _visible(ctx: RequestContext, row: ApiKey) -> bool:
    principal = ctx.principal
    assert principal is not None
    return principal.has(MANAGE_ALL) or row.user_id == principal.user_id


def list_api_keys(db: Database, ctx: RequestContext, limit: int, offset: int) -> ApiKeyList:
    principal = ctx.principal
    assert principal is not None
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(ApiKey, ctx.tenant_id)
        criteria = [] if principal.has(MANAGE_ALL) else [ApiKey.user_id == principal.user_id]
        rows = repo.list(
            *criteria, order_by=[ApiKey.created_at.desc(), ApiKey.id], limit=limit, offset=offset
        )
        return ApiKeyList(
            api_keys=[ApiKeyOut.model_validate(r) for r in rows],
            pagination=Pagination(total=repo.count(*criteria), limit=limit, offset=offset),
        )


def get_api_key(db: Database, ctx: RequestContext, key_id: uuid.UUID) -> ApiKeyOut:
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(ApiKey, ctx.tenant_id)
        row = repo.require(key_id)
        if not _visible(ctx, row):
            raise repo.not_found(key_id)
        return ApiKeyOut.model_validate(row)


def revoke_api_key(db: Database, ctx: RequestContext, key_id: uuid.UUID) -> None:
    with UnitOfWork(db) as uow:
        repo = uow.repo(ApiKey, ctx.tenant_id)
        row = repo.require(key_id, for_update=True)
        if not _visible(ctx, row):
            raise repo.not_found(key_id)
        if row.revoked_at is None:
            old = _snapshot(row)
            row.revoked_at = utcnow()
            audit.record(
                uow, ctx, "api_key.revoke", AuditResourceType.API_KEY, row.id, old, _snapshot(row)
            )
            uow.commit()
            forget_api_key(row.id)
