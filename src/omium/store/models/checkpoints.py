"""Checkpoints and rollbacks (LLD §1.1 "Checkpoints & Rollbacks").

Departure (DESIGN.md): instead of UNIQUE(execution_id, checkpoint_name), a checkpoint that a
rollback went back over is kept and marked superseded (``superseded_at``); names are unique
among the live checkpoints of an execution (a partial unique index), so re-running a step
after a rollback never destroys history.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, deferred_fk, json_object, now_column, uuid_pk
from omium.store.types import JSONDoc, UTCDateTime, UUIDArray
from omium.types import RollbackStatus, RollbackTrigger, sql_in


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (
        Index("idx_checkpoints_execution", "execution_id"),
        Index("idx_checkpoints_agent", "agent_id"),
        Index("idx_checkpoints_created", "created_at"),
        Index(
            "uq_checkpoints_live_name",
            "execution_id",
            "checkpoint_name",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
            sqlite_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    checkpoint_name: Mapped[str] = mapped_column(String(255), nullable=False)
    checkpoint_index: Mapped[int] = mapped_column(Integer, nullable=False)
    state_size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    state_blob_uri: Mapped[str] = mapped_column(String(1000), nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    preconditions: Mapped[Any | None] = mapped_column(JSONDoc)
    postconditions: Mapped[Any | None] = mapped_column(JSONDoc)
    validation_passed: Mapped[bool | None] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    compression_type: Mapped[str | None] = mapped_column(
        String(50), default="gzip", server_default=text("'gzip'")
    )
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Beyond the LLD: set when a rollback went back over this checkpoint.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Beyond the LLD: which content-addressed parts (checkpoint_blobs) make up the state.
    state_manifest: Mapped[Any | None] = mapped_column(JSONDoc)


class CheckpointBlob(Base):
    """One content-addressed part of checkpoint states, shared by every checkpoint of the
    tenant whose state holds the same value (beyond the LLD; see services/checkpoints.py).

    Small parts keep their bytes here (``data``); larger ones live in the blob store at
    ``location``. No reference count: the sweep deletes parts no manifest names any more.
    """

    __tablename__ = "checkpoint_blobs"
    __table_args__ = (Index("idx_checkpoint_blobs_created", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    compression: Mapped[str] = mapped_column(String(16), nullable=False)
    raw_size: Mapped[int] = mapped_column(Integer, nullable=False)
    stored_size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    location: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = created_at()


class Rollback(Base):
    __tablename__ = "rollbacks"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(RollbackStatus)}", name="valid_status"),
        CheckConstraint(f"trigger_type IN {sql_in(RollbackTrigger)}", name="valid_trigger"),
        Index("idx_rollbacks_execution", "execution_id"),
        Index("idx_rollbacks_from_checkpoint", "from_checkpoint_id"),
        Index("idx_rollbacks_to_checkpoint", "to_checkpoint_id"),
        Index("idx_rollbacks_started", "started_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    from_checkpoint_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("checkpoints.id"))
    to_checkpoint_id: Mapped[uuid.UUID] = mapped_column(
        deferred_fk("checkpoints.id"), nullable=False
    )
    triggered_by: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("users.id"))
    trigger_reason: Mapped[str] = mapped_column(String(255), nullable=False)
    trigger_type: Mapped[str | None] = mapped_column(
        String(50), default="manual", server_default=text("'manual'")
    )
    status: Mapped[str | None] = mapped_column(
        String(50), default="in_progress", server_default=text("'in_progress'")
    )
    started_at: Mapped[datetime] = now_column()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rollback_success: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    affected_agents: Mapped[list[Any] | None] = mapped_column(UUIDArray)
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
