"""Execution policies, failures and recovery actions (LLD §1.1 "Policies & Recovery")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import (
    Base,
    created_at,
    deferred_fk,
    json_object,
    now_column,
    updated_at,
    uuid_pk,
)
from omium.store.types import JSONDoc, UTCDateTime
from omium.types import (
    FailureType,
    PolicyType,
    RecoveryActionStatus,
    RecoveryActionType,
    Severity,
    sql_in,
)


class ExecutionPolicy(Base):
    __tablename__ = "execution_policies"
    __table_args__ = (
        CheckConstraint(f"policy_type IN {sql_in(PolicyType)}", name="valid_policy_type"),
        Index("idx_execution_policies_tenant", "tenant_id"),
        Index("idx_execution_policies_workflow", "workflow_id"),
        Index("idx_execution_policies_active", "is_active"),
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
    policy_type: Mapped[str] = mapped_column(String(50), nullable=False)
    policy_config: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default=text("1")
    )
    is_active: Mapped[bool | None] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Failure(Base):
    __tablename__ = "failures"
    __table_args__ = (
        CheckConstraint(f"severity IN {sql_in(Severity)}", name="valid_severity"),
        CheckConstraint(f"failure_type IN {sql_in(FailureType)}", name="valid_failure_type"),
        Index("idx_failures_execution", "execution_id"),
        Index("idx_failures_type", "failure_type"),
        Index("idx_failures_severity", "severity"),
        Index("idx_failures_detected", "detected_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("agents.id"))
    checkpoint_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("checkpoints.id"))
    failure_type: Mapped[str] = mapped_column(String(100), nullable=False)
    severity: Mapped[str] = mapped_column(String(50), nullable=False)
    error_message: Mapped[str] = mapped_column(Text, nullable=False)
    stack_trace: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    suggested_fix: Mapped[str | None] = mapped_column(Text)
    recovery_action: Mapped[str | None] = mapped_column(String(100))
    recovery_status: Mapped[str | None] = mapped_column(
        String(50), default="pending", server_default=text("'pending'")
    )
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    detected_at: Mapped[datetime] = now_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryAction(Base):
    __tablename__ = "recovery_actions"
    __table_args__ = (
        CheckConstraint(f"action_type IN {sql_in(RecoveryActionType)}", name="valid_action_type"),
        CheckConstraint(f"status IN {sql_in(RecoveryActionStatus)}", name="valid_status"),
        Index("idx_recovery_actions_failure", "failure_id"),
        Index("idx_recovery_actions_execution", "execution_id"),
        Index("idx_recovery_actions_triggered", "triggered_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    failure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("failures.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    action_type: Mapped[str] = mapped_column(String(100), nullable=False)
    action_config: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    triggered_by: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("users.id"))
    triggered_at: Mapped[datetime] = now_column()
    status: Mapped[str | None] = mapped_column(
        String(50), default="pending", server_default=text("'pending'")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    success: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
