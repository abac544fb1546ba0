"""API keys, users and roles of the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from omium.api.deps import Limit, Offset, RuntimeDep, require
from omium.api.errors import ERROR_RESPONSES
from omium.schemas.access import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyEnvelope,
    ApiKeyList,
    RoleCreate,
    RoleEnvelope,
    RoleList,
    RoleUpdate,
    UserCreate,
    UserEnvelope,
    UserList,
    UserUpdate,
)
from omium.services import api_keys, roles, users
from omium.services.context import RequestContext

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.post("/api-keys", operation_id="create_api_key", status_code=201, tags=["api-keys"])
def create_api_key(
    body: ApiKeyCreate,
    ctx: Annotated[RequestContext, Depends(require("api_key:create"))],
    rt: RuntimeDep,
) -> ApiKeyEnvelope:
    """Create an API key. The secret (`key`) is in this response only."""
    return ApiKeyEnvelope(api_key=api_keys.create_api_key(rt.db, ctx, body))


@router.get("/api-keys", operation_id="list_api_keys", tags=["api-keys"])
def list_api_keys(
    ctx: Annotated[RequestContext, Depends(require("api_key:read"))],
    rt: RuntimeDep,
    limit: Limit,
    offset: Offset,
) -> ApiKeyList:
    """Your keys (every key of the tenant with `user:update`). Never the secrets."""
    return api_keys.list_api_keys(rt.db, ctx, limit, offset)


@router.get("/api-keys/{api_key_id}", operation_id="get_api_key", tags=["api-keys"])
def get_api_key(
    api_key_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("api_key:read"))],
    rt: RuntimeDep,
) -> ApiKey:
    return api_keys.get_api_key(rt.db, ctx, api_key_id)


@router.delete(
    "/api-keys/{api_key_id}", operation_id="revoke_api_key", status_code=204, tags=["api-keys"]
)
def revoke_api_key(
    api_key_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("api_key:revoke"))],
    rt: RuntimeDep,
) -> Response:
    """Revoke a key: it gets 401 from now on. The row is kept for the audit trail."""
    api_keys.revoke_api_key(rt.db, ctx, api_key_id)
    return Response(status_code=204)


@router.post("/users", operation_id="create_user", status_code=201, tags=["users"])
def create_user(
    body: UserCreate,
    ctx: Annotated[RequestContext, Depends(require("user:create"))],
    rt: RuntimeDep,
) -> UserEnvelope:
    """Add a user to the tenant (without a password: invited, cannot log in yet)."""
    return UserEnvelope(user=users.create_user(rt.db, ctx, body))


@router.get("/users", operation_id="list_users", tags=["users"])
def list_users(
    ctx: Annotated[RequestContext, Depends(require("user:read"))],
    rt: RuntimeDep,
    limit: Limit,
    offset: Offset,
) -> UserList:
    return users.list_users(rt.db, ctx, limit, offset)


@router.get("/users/{user_id}", operation_id="get_user", tags=["users"])
def get_user(
    user_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("user:read"))],
    rt: RuntimeDep,
) -> UserEnvelope:
    return UserEnvelope(user=users.get_user(rt.db, ctx, user_id))


@router.patch("/users/{user_id}", operation_id="update_user", tags=["users"])
def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    ctx: Annotated[RequestContext, Depends(require("user:update"))],
    rt: RuntimeDep,
) -> UserEnvelope:
    """Change names, password or status (disabling also revokes the user's API keys)."""
    return UserEnvelope(user=users.update_user(rt.db, ctx, user_id, body))


@router.delete("/users/{user_id}", operation_id="delete_user", status_code=204, tags=["users"])
def delete_user(
    user_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("user:delete"))],
    rt: RuntimeDep,
) -> Response:
    users.delete_user(rt.db, ctx, user_id)
    return Response(status_code=204)


@router.put("/users/{user_id}/roles/{role_id}", operation_id="grant_role", tags=["users"])
def grant_role(
    user_id: uuid.UUID,
    role_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("role:assign"))],
    rt: RuntimeDep,
) -> UserEnvelope:
    """Grant a role (idempotent). Only owners grant the owner role."""
    return UserEnvelope(user=users.grant_role(rt.db, ctx, user_id, role_id))


@router.delete("/users/{user_id}/roles/{role_id}", operation_id="revoke_role", tags=["users"])
def revoke_role(
    user_id: uuid.UUID,
    role_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("role:assign"))],
    rt: RuntimeDep,
) -> UserEnvelope:
    return UserEnvelope(user=users.revoke_role(rt.db, ctx, user_id, role_id))


@router.post("/roles", operation_id="create_role", status_code=201, tags=["roles"])
def create_role(
    body: RoleCreate,
    ctx: Annotated[RequestContext, Depends(require("role:create"))],
    rt: RuntimeDep,
) -> RoleEnvelope:
    return RoleEnvelope(role=roles.create_role(rt.db, ctx, body))


@router.get("/roles", operation_id="list_roles", tags=["roles"])
def list_roles(
    ctx: Annotated[RequestContext, Depends(require("role:read"))],
    rt: RuntimeDep,
    limit: Limit,
    offset: Offset,
) -> RoleList:
    return roles.list_roles(rt.db, ctx, limit, offset)


@router.get("/roles/{role_id}", operation_id="get_role", tags=["roles"])
def get_role(
    role_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("role:read"))],
    rt: RuntimeDep,
) -> RoleEnvelope:
    return RoleEnvelope(role=roles.get_role(rt.db, ctx, role_id))


@router.patch("/roles/{role_id}", operation_id="update_role", tags=["roles"])
def update_role(
    role_id: uuid.UUID,
    body: RoleUpdate,
    ctx: Annotated[RequestContext, Depends(require("role:update"))],
    rt: RuntimeDep,
) -> RoleEnvelope:
    """Change a custom role (system roles are fixed: 409)."""
    return RoleEnvelope(role=roles.update_role(rt.db, ctx, role_id, body))


@router.delete("/roles/{role_id}", operation_id="delete_role", status_code=204, tags=["roles"])
def delete_role(
    role_id: uuid.UUID,
    ctx: Annotated[RequestContext, Depends(require("role:delete"))],
    rt: RuntimeDep,
) -> Response:
    roles.delete_role(rt.db, ctx, role_id)
    return Response(status_code=204)
