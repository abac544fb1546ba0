"""API keys, users and roles: request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from omium.schemas.auth import Password, PersonName
from omium.schemas.common import Email, Input, Name, Output, Pagination

PermissionList = Annotated[list[str], Field(max_length=200)]
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiKeyCreate(Input):
    name: Name
    permissions: PermissionList | None = Field(
        None, description="Permissions of the key (a subset of yours); default: all of yours."
    )
    expires_at: AwareDatetime | None = Field(None, description="When the key stops working.")


class ApiKey(Output):
    id: uuid.UUID
    name: str
    key_prefix: str
    user_id: uuid.UUID | None
    permissions: list[str]
    last_used_at: datetime | None
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret key. Shown once: store it now.")


class ApiKeyEnvelope(Output):
    api_key: ApiKeyCreated


class ApiKeyList(Output):
    api_keys: list[ApiKey]
    pagination: Pagination


UserStatus = Literal["active", "invited", "disabled"]


class UserCreate(Input):
    email: Email
    password: Password | None = Field(
        None, description="Initial password; without one the user is 'invited' and cannot log in."
    )
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    roles: Annotated[list[RoleName], Field(max_length=50)] = Field(
        default_factory=lambda: ["viewer"], description="Role names to grant."
    )


class UserUpdate(Input):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    status: Literal["active", "disabled"] | None = None
    password: Password | None = None


class RoleRef(Output):
    id: uuid.UUID
    name: str


class UserOut(Output):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    status: str | None
    mfa_enabled: bool | None
    last_login_at: datetime | None
    created_at: datetime
    roles: list[RoleRef]


class UserEnvelope(Output):
    user: UserOut


class UserList(Output):
    users: list[UserOut]
    pagination: Pagination


class RoleCreate(Input):
    name: RoleName
    description: Annotated[str, Field(max_length=2000)] | None = None
    permissions: PermissionList


class RoleUpdate(Input):
    name: RoleName | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    permissions: PermissionList | None = None


class RoleOut(Output):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str | None
    permissions: list[str]
    is_system_role: bool | None
    created_at: datetime
    updated_at: datetime


class RoleEnvelope(Output):
    role: RoleOut


class RoleList(Output):
    roles: list[RoleOut]
    pagination: Pagination
