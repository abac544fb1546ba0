"""Executions, failures and recovery actions (LLD §2.2, §2.4, §4.2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from omium.types import ExecutionStatus, TriggerType


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExecutionCreate(_Input):
    """POST /api/v1/executions."""

    workflow_id: uuid.UUID
    input_params: dict[str, Any] = Field(default_factory=dict)
    trigger_type: TriggerType = TriggerType.API
    metadata: dict[str, Any] = Field(default_factory=dict)


class ResumeRequest(_Input):
    """POST /api/v1/executions/{id}/resume; ``checkpoint_name`` resumes from that checkpoint."""

    checkpoint_name: str | None = None


class RollbackRequest(_Input):
    reason: str = "manual rollback"


class RecoverRequest(_Input):
    """POST /api/v1/failures/{id}/recover."""

    action_type: Literal["retry", "rollback", "prompt_edit", "manual_intervention", "escalate"]
    action_config: dict[str, Any] = Field(default_factory=dict)


class Progress(BaseModel):
    current_step: int
    total_steps: int
    percentage: float


class AgentSummary(BaseModel):
    id: uuid.UUID
    name: str
    agent_type: str
    status: str
    duration_ms: int | None = None
    output: dict[str, Any] | None = None
    error: str | None = None


class Execution(BaseModel):
    """LLD §4.2 Execution, plus the fields the engine keeps true."""

    id: uuid.UUID
    workflow_id: uuid.UUID
    tenant_id: uuid.UUID
    status: ExecutionStatus
    workflow_version: int | None = None
    trigger_type: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    current_checkpoint: str | None = None
    last_successful_checkpoint: str | None = None
    progress: Progress
    agents: list[AgentSummary] = Field(default_factory=list)
    input_params: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: int | None = None
    checkpoint_count: int = 0
    retry_count: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


class ExecutionList(BaseModel):
    executions: list[Execution]
    total: int
    limit: int
    offset: int


class Failure(BaseModel):
    """LLD §4.2 Failure with the classification details."""

    id: uuid.UUID
    execution_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    checkpoint_id: uuid.UUID | None = None
    failure_type: str
    severity: str
    error_message: str
    root_cause: str | None = None
    suggested_fix: str | None = None
    recovery_action: str | None = None
    recovery_status: str | None = None
    detected_at: datetime
    resolved_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RecoveryAction(BaseModel):
    """LLD §4.2 RecoveryAction."""

    id: uuid.UUID
    failure_id: uuid.UUID
    execution_id: uuid.UUID
    action_type: str
    action_config: dict[str, Any]
    status: str | None
    success: bool | None = None
    error: str | None = None
    triggered_at: datetime
    completed_at: datetime | None = None
