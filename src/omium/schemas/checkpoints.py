"""Checkpoint records as the API shows them (LLD §4.2 ``Checkpoint``, §2.3 responses)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Checkpoint(BaseModel):
    """One checkpoint: LLD §4.2 fields plus the rest of its row."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    execution_id: UUID
    agent_id: UUID | None = None
    checkpoint_name: str
    checkpoint_index: int
    state_size_bytes: int = Field(description="Size of the canonical JSON state, uncompressed.")
    state_blob_uri: str = Field(
        description="db://checkpoints/<id> when the state lives in the database, else the "
        "blob-store location of its largest part."
    )
    checksum: str = Field(
        description=(
            "sha256:<hex>, the Merkle root of the state: sha256 of the canonical JSON of "
            "[[key, sha256 of the key's canonical value], ...] in key order."
        )
    )
    compression_type: str | None = None
    preconditions: Any | None = None
    postconditions: Any | None = None
    validation_passed: bool | None = None
    created_at: datetime
    expires_at: datetime | None = None
    superseded_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Checkpoint:
        """From a ``checkpoints`` row (store/models; not imported, so that clients of these
        schemas need no SQLAlchemy)."""
        return cls(
            id=row.id,
            execution_id=row.execution_id,
            agent_id=row.agent_id,
            checkpoint_name=row.checkpoint_name,
            checkpoint_index=row.checkpoint_index,
            state_size_bytes=row.state_size_bytes,
            state_blob_uri=row.state_blob_uri,
            checksum=f"sha256:{row.checksum}",
            compression_type=row.compression_type,
            preconditions=row.preconditions,
            postconditions=row.postconditions,
            validation_passed=row.validation_passed,
            created_at=row.created_at,
            expires_at=row.expires_at,
            superseded_at=row.superseded_at,
            metadata=dict(row.metadata_ or {}),
        )
