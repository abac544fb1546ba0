"""Executions (LLD §2.2, §4.2 Execution/Progress/Agent)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from omium.schemas.common import Input, Output, Pagination
from omium.types import ExecutionStatus, TriggerType


class ExecutionCreate(Input):
    """``POST /api/v1/executions``."""

    workflow_id: uuid.UUID
    input_params: dict[str, Any] = Field(default_factory=dict)
    trigger_type: TriggerType = TriggerType.API
    metadata: dict[str, Any] = Field(default_factory=dict)


class ExecutionResume(Input):
    """``POST /api/v1/executions/{id}/resume``: optionally from a named checkpoint."""

    from_checkpoint: str | None = None


class ExecutionCancel(Input):
    """``POST /api/v1/executions/{id}/cancel``."""

    reason: str | None = None


class Progress(Output):
    current_step: int = 0
    total_steps: int = 0
    percentage: float = 0.0


class AgentRun(Output):
    """One agent of an execution (LLD §4.2 Agent)."""

    id: uuid.UUID | str
    name: str
    agent_type: str | None = None
    status: str
    duration_ms: int | None = None
    output: dict[str, Any] | None = None
    error: str | None = None


class Execution(Output):
    """An execution (LLD §4.2). Fields a given endpoint does not return stay at their default."""

    id: uuid.UUID
    workflow_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    status: ExecutionStatus
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    paused_at: datetime | None = None
    resumed_at: datetime | None = None
    cancelled_at: datetime | None = None
    current_checkpoint: str | None = None
    progress: Progress | None = None
    agents: list[AgentRun] = Field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ExecutionResponse(Output):
    """``{"execution": ..., "message": ...}`` of start, get, pause, resume and cancel."""

    execution: Execution
    message: str | None = None


class ExecutionList(Output):
    """``GET /api/v1/executions``."""

    executions: list[Execution]
    pagination: Pagination
