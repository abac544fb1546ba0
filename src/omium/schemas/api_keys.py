"""API keys (LLD §1.1 api_keys): created with a secret shown once, listed, revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from omium.schemas.common import Input, Name, Output


class ApiKeyCreate(Input):
    name: Name
    permissions: list[str] = Field(
        default_factory=list, description="Permission strings; empty = the creator's role's."
    )
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
