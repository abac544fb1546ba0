"""Workflows and their versioned definitions (LLD §1.1 workflows, §1.2 definitions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class WorkflowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    definition: dict[str, Any]
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class WorkflowVersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any]


class Workflow(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str | None = None
    definition: dict[str, Any]
    version: int
    status: str | None = None
    published_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
