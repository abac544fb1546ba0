"""The envelopes of the REST answers (LLD §2): ``{"execution": ..., "message": ...}``,
``{"failures": [...], "pagination": ...}``, ... around the entity schemas."""

from __future__ import annotations

from pydantic import Field

from omium.schemas.analytics import ExecutionAnalytics
from omium.schemas.checkpoints import Checkpoint, Rollback
from omium.schemas.common import Output, Pagination
from omium.schemas.executions import Execution, Failure, RecoveryAction
from omium.schemas.workflows import Workflow


class ExecutionResponse(Output):
    """Start, get, pause, resume and cancel of an execution."""

    execution: Execution
    message: str | None = None


class CheckpointResponse(Output):
    checkpoint: Checkpoint


class CheckpointList(Output):
    """``GET /api/v1/executions/{id}/checkpoints``, oldest first."""

    checkpoints: list[Checkpoint]
    pagination: Pagination | None = None


class RollbackResponse(Output):
    """``POST /api/v1/checkpoints/{id}/rollback``."""

    rollback: Rollback
    execution: Execution
    message: str | None = None


class FailureList(Output):
    """``GET /api/v1/failures``."""

    failures: list[Failure]
    pagination: Pagination


class RecoverResponse(Output):
    """``POST /api/v1/failures/{id}/recover``."""

    recovery_action: RecoveryAction
    message: str | None = None


class AnalyticsResponse(Output):
    analytics: ExecutionAnalytics


class WorkflowResponse(Output):
    workflow: Workflow
    message: str | None = None


class WorkflowList(Output):
    workflows: list[Workflow]
    pagination: Pagination | None = Field(None)
