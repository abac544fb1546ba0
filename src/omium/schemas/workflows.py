"""Workflows and their versions (LLD §1.1 workflows, §1.2 workflow_definitions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from omium.schemas.common import Input, Output, Pagination


class WorkflowCreate(Input):
    """``POST /api/v1/workflows``: a new workflow at version 1."""

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    definition: dict[str, Any]


class WorkflowUpdate(Input):
    """``PUT /api/v1/workflows/{id}``: a new version of the definition."""

    description: str | None = None
    definition: dict[str, Any]


class Workflow(Output):
    id: uuid.UUID
    name: str
    description: str | None = None
    version: int
    status: str
    definition: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None


class WorkflowResponse(Output):
    workflow: Workflow
    message: str | None = None


class WorkflowList(Output):
    workflows: list[Workflow]
    pagination: Pagination
