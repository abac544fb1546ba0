"""Checkpoint requests (LLD §2.3 POST /api/v1/checkpoints, §3.1), shared by REST and gRPC."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from omium.schemas.checkpoints import Checkpoint, Rollback
from omium.schemas.common import Input, Output
from omium.schemas.executions import Execution


class CheckpointCreate(Input):
    execution_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    checkpoint_name: str = Field(min_length=1, max_length=255)
    state: Any = Field(description="The JSON document to snapshot.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    preconditions: list[str] | None = None
    postconditions: list[str] | None = None


class CheckpointRollback(Input):
    reason: str = Field("manual rollback", max_length=255)
    trigger_type: str | None = Field(None, description="manual, automatic or policy.")


class CheckpointPage(Output):
    checkpoints: list[Checkpoint]
    total: int


class RollbackResult(Output):
    rollback: Rollback
    execution: Execution
    message: str = "Rollback completed successfully"
