"""Checkpoints and rollbacks as the API shows them (LLD §2.3, §4.2 Checkpoint)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from omium.schemas.common import Output


class Checkpoint(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    checkpoint_name: str
    checkpoint_index: int | None = None
    state_size_bytes: int | None = None
    state_blob_uri: str | None = None
    checksum: str | None = Field(None, description="sha256:<hex> of the canonical state.")
    validation_passed: bool | None = None
    superseded_at: datetime | None = Field(
        None, description="Set when a rollback went back past it; kept, never deleted."
    )
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class Rollback(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    from_checkpoint_id: uuid.UUID | None = None
    to_checkpoint_id: uuid.UUID
    status: str | None = None
    completed_at: datetime | None = None
