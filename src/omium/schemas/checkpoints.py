"""Checkpoints and rollbacks (LLD §2.3, §4.2 Checkpoint)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from omium.schemas.common import Input, Output, Pagination
from omium.schemas.executions import Execution
from omium.types import RollbackTrigger


class Checkpoint(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    checkpoint_name: str
    checkpoint_index: int | None = None
    state_size_bytes: int | None = None
    state_blob_uri: str | None = None
    checksum: str | None = None
    validation_passed: bool | None = None
    superseded: bool = False
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class CheckpointResponse(Output):
    checkpoint: Checkpoint


class CheckpointList(Output):
    """``GET /api/v1/executions/{id}/checkpoints``."""

    checkpoints: list[Checkpoint]
    pagination: Pagination | None = None


class RollbackCreate(Input):
    """``POST /api/v1/checkpoints/{id}/rollback``."""

    reason: str | None = None
    trigger_type: RollbackTrigger = RollbackTrigger.MANUAL


class Rollback(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    from_checkpoint_id: uuid.UUID | None = None
    to_checkpoint_id: uuid.UUID
    status: str
    completed_at: datetime | None = None


class RollbackResponse(Output):
    rollback: Rollback
    execution: Execution
    message: str | None = None
