"""The LLD §1.2 document collections as relational tables with JSON columns (DESIGN.md).

- ``execution_traces``: one row per span (the LLD nests spans in one document per execution;
  a row each lets spans be appended without rewriting the document and queried by index).
- ``agent_configs``: one row per agent config document; ``config`` holds the LLD's body.
- ``workflow_definitions``: every published version of a workflow's definition, kept so an
  execution can go on running the version it started with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, json_object, updated_at, uuid_pk
from omium.store.types import JSONDoc, TextArray, UTCDateTime, empty_array


class ExecutionTrace(Base):
    __tablename__ = "execution_traces"
    __table_args__ = (
        UniqueConstraint("trace_id", "span_id"),
        Index("idx_execution_traces_execution", "execution_id"),
        # The LLD's {execution_id: 1, timestamp: -1} and {tenant_id: 1, created_at: -1}:
        # a B-tree is read backwards just as fast, so the columns are indexed ascending.
        Index("idx_execution_traces_execution_time", "execution_id", "start_time"),
        Index("idx_execution_traces_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE")
    )
    trace_id: Mapped[str] = mapped_column(String(64), nullable=False)
    span_id: Mapped[str] = mapped_column(String(32), nullable=False)
    parent_span_id: Mapped[str | None] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(255), nullable=False)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(50), nullable=False)
    attributes: Mapped[dict[str, Any] | None] = json_object()
    tags: Mapped[list[str] | None] = mapped_column(
        TextArray, default=list, server_default=empty_array()
    )
    created_at: Mapped[datetime] = created_at()


class AgentConfig(Base):
    __tablename__ = "agent_configs"
    __table_args__ = (
        Index("idx_agent_configs_workflow", "workflow_id"),
        Index("idx_agent_configs_tenant", "tenant_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    version: Mapped[str | None] = mapped_column(String(50))
    config: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WorkflowDefinition(Base):
    __tablename__ = "workflow_definitions"
    __table_args__ = (
        UniqueConstraint("workflow_id", "version"),
        Index("idx_workflow_definitions_workflow_version", "workflow_id", "version"),
        Index("idx_workflow_definitions_tenant", "tenant_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    created_at: Mapped[datetime] = created_at()
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
