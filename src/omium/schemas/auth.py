"""Authentication and API keys (LLD §2.1, §1.1 api_keys)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from omium.schemas.common import Input, Output


class RegisterRequest(Input):
    email: str
    password: str
    first_name: str | None = None
    last_name: str | None = None
    tenant_name: str


class LoginRequest(Input):
    email: str
    password: str


class RefreshRequest(Input):
    refresh_token: str


class UserOut(Output):
    id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    tenant_id: uuid.UUID


class TenantOut(Output):
    id: uuid.UUID
    name: str
    slug: str


class TokenResponse(Output):
    """The answer of register, login and refresh (refresh returns no user)."""

    access_token: str
    refresh_token: str | None = None
    expires_in: int
    user: UserOut | None = None
    tenant: TenantOut | None = None


class ApiKeyCreate(Input):
    name: str = Field(min_length=1, max_length=255)
    permissions: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None


class ApiKey(Output):
    id: uuid.UUID
    name: str
    key_prefix: str
    permissions: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(Output):
    """The one answer that holds the secret: store it now, it is never shown again."""

    api_key: ApiKey
    key: str


class ApiKeyList(Output):
    api_keys: list[ApiKey]
