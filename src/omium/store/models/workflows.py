"""Workflows, executions and the agents of an execution (LLD §1.1 "Executions & Workflows").

Departures (DESIGN.md): no monthly partitions of executions; executions carry the lease
columns the engine's workers need (``lease_owner``, ``lease_expires_at``, ``heartbeat_at``)
and the definition version they run (``workflow_version``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, deferred_fk, json_object, updated_at, uuid_pk
from omium.store.types import JSONDoc, TextArray, UTCDateTime, empty_array
from omium.types import AgentStatus, ExecutionStatus, Framework, TriggerType, WorkflowStatus, sql_in


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(WorkflowStatus)}", name="valid_status"),
        Index("idx_workflows_tenant", "tenant_id"),
        Index("idx_workflows_status", "status"),
        # GIN on PostgreSQL; a plain index over the JSON text on SQLite.
        Index("idx_workflows_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    created_by: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default=text("1")
    )
    config: Mapped[dict[str, Any] | None] = json_object()
    status: Mapped[str | None] = mapped_column(
        String(50), default="draft", server_default=text("'draft'")
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tags: Mapped[list[str] | None] = mapped_column(
        TextArray, default=list, server_default=empty_array()
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Execution(Base):
    __tablename__ = "executions"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(ExecutionStatus)}", name="valid_status"),
        CheckConstraint(f"trigger_type IN {sql_in(TriggerType)}", name="valid_trigger"),
        Index("idx_executions_tenant", "tenant_id"),
        Index("idx_executions_workflow", "workflow_id"),
        Index("idx_executions_status", "status"),
        Index("idx_executions_started", "started_at"),
        # The live leases of a tenant, counted by every claim (max_concurrent_executions).
        # Not on lease_expires_at: every step boundary renews it, and the index would be
        # written (and PostgreSQL's heap-only update lost) at each one.
        Index(
            "idx_executions_tenant_lease",
            "tenant_id",
            postgresql_where=text("lease_owner IS NOT NULL"),
            sqlite_where=text("lease_owner IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="RESTRICT"), nullable=False
    )
    triggered_by: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("users.id"))
    trigger_type: Mapped[str | None] = mapped_column(
        String(50), default="manual", server_default=text("'manual'")
    )
    status: Mapped[str] = mapped_column(
        String(50), nullable=False, default="pending", server_default=text("'pending'")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    error: Mapped[str | None] = mapped_column(Text)
    current_checkpoint: Mapped[str | None] = mapped_column(String(255))
    last_successful_checkpoint: Mapped[str | None] = mapped_column(String(255))
    input_params: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    checkpoint_count: Mapped[int | None] = mapped_column(
        Integer, default=0, server_default=text("0")
    )
    retry_count: Mapped[int | None] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    # Beyond the LLD: the definition version this execution runs, and its worker lease.
    workflow_version: Mapped[int | None] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(AgentStatus)}", name="valid_status"),
        CheckConstraint(f"framework IN {sql_in(Framework)}", name="valid_framework"),
        Index("idx_agents_execution", "execution_id"),
        Index("idx_agents_status", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    agent_type: Mapped[str] = mapped_column(String(100), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    framework: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(
        String(50), nullable=False, default="pending", server_default=text("'pending'")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    llm_calls: Mapped[int | None] = mapped_column(Integer, default=0, server_default=text("0"))
    tokens_used: Mapped[int | None] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
