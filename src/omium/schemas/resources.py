"""Bodies of the REST resources beyond auth: agent configs, policies, checkpoints, audit logs,
analytics, and the envelopes the LLD wraps responses in (``{"execution": {...}}``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from omium.schemas.checkpoints import Checkpoint as Checkpoint  # the one checkpoint shape
from omium.schemas.common import Input, Name, Output, Pagination
from omium.schemas.executions import Execution, Failure, RecoveryAction
from omium.schemas.workflows import Workflow
from omium.types import Framework, PolicyType, RollbackTrigger

ShortText = Annotated[str, StringConstraints(max_length=2000)]


class ExecutionEnvelope(Output):
    execution: Execution
    message: str | None = None


class ExecutionPage(Output):
    executions: list[Execution]
    pagination: Pagination


class WorkflowEnvelope(Output):
    workflow: Workflow


class WorkflowPage(Output):
    workflows: list[Workflow]
    pagination: Pagination


class WorkflowUpdate(Input):
    """A new ``definition`` publishes a new version; the other fields change in place."""

    name: Name | None = None
    description: ShortText | None = None
    definition: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    tags: (
        Annotated[list[Annotated[str, StringConstraints(max_length=100)]], Field(max_length=50)]
        | None
    ) = None


class WorkflowVersion(Output):
    workflow_id: uuid.UUID
    version: int
    definition: dict[str, Any]


class AgentConfigCreate(Input):
    workflow_id: uuid.UUID | None = None
    name: Name
    description: ShortText | None = None
    framework: Framework
    version: Annotated[str, StringConstraints(max_length=50)] | None = None
    config: dict[str, Any]


class AgentConfigUpdate(Input):
    name: Name | None = None
    description: ShortText | None = None
    framework: Framework | None = None
    version: Annotated[str, StringConstraints(max_length=50)] | None = None
    config: dict[str, Any] | None = None


class AgentConfig(Output):
    id: uuid.UUID
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID | None
    name: str
    description: str | None
    framework: str
    version: str | None
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AgentConfigEnvelope(Output):
    agent_config: AgentConfig


class AgentConfigPage(Output):
    agent_configs: list[AgentConfig]
    pagination: Pagination


class PolicyCreate(Input):
    workflow_id: uuid.UUID | None = None
    name: Name
    description: ShortText | None = None
    policy_type: PolicyType
    policy_config: dict[str, Any]
    is_active: bool = True


class PolicyUpdate(Input):
    """Any change bumps ``version``."""

    name: Name | None = None
    description: ShortText | None = None
    policy_config: dict[str, Any] | None = None
    is_active: bool | None = None


class Policy(Output):
    id: uuid.UUID
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID | None
    name: str
    description: str | None
    policy_type: str
    policy_config: dict[str, Any]
    version: int
    is_active: bool | None
    created_at: datetime
    updated_at: datetime


class PolicyEnvelope(Output):
    policy: Policy


class PolicyPage(Output):
    policies: list[Policy]
    pagination: Pagination


class CheckpointCreate(Input):
    """POST /api/v1/checkpoints (LLD §2.3)."""

    execution_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    checkpoint_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    state: Any = Field(description="The state to snapshot: any JSON document.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    preconditions: list[str] | None = Field(None, description="CEL conditions it was taken under.")
    postconditions: list[str] | None = None


class CheckpointEnvelope(Output):
    checkpoint: Checkpoint


class CheckpointPage(Output):
    checkpoints: list[Checkpoint]
    pagination: Pagination


class RollbackCreate(Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "manual rollback"
    trigger_type: RollbackTrigger = RollbackTrigger.MANUAL


class Rollback(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    from_checkpoint_id: uuid.UUID | None
    to_checkpoint_id: uuid.UUID
    status: str | None
    trigger_reason: str
    trigger_type: str | None
    completed_at: datetime | None


class RollbackResponse(Output):
    rollback: Rollback
    execution: Execution
    message: str


class FailurePage(Output):
    failures: list[Failure]
    pagination: Pagination


class RecoveryResponse(Output):
    recovery_action: RecoveryAction
    message: str


class AuditLog(Output):
    id: uuid.UUID
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    action: str
    resource_type: str
    resource_id: uuid.UUID | None
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    ip_address: str | None
    user_agent: str | None
    request_id: uuid.UUID | None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class AuditLogPage(Output):
    audit_logs: list[AuditLog]
    pagination: Pagination


class DayBucket(Output):
    date: date
    total: int
    successful: int
    failed: int
    success_rate: float


class ExecutionAnalytics(Output):
    start_date: date
    end_date: date
    total_executions: int
    successful: int
    failed: int
    success_rate: float
    avg_duration_ms: float | None
    total_cost_usd: float
    by_day: list[DayBucket]
    failure_breakdown: dict[str, int]


class AnalyticsEnvelope(Output):
    analytics: ExecutionAnalytics
