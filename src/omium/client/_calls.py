"""Every REST call of the API as data: method, path, body, and how to read the answer.

The sync and async clients share these, so the two can never disagree about a path or a shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from omium.schemas.access import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyEnvelope, ApiKeyList
from omium.schemas.auth import (
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    Me,
    RefreshRequest,
    RefreshResponse,
    RegisterRequest,
    RegisterResponse,
)
from omium.schemas.executions import (
    Execution,
    ExecutionCreate,
    RecoverRequest,
    ResumeRequest,
)
from omium.schemas.resources import (
    AnalyticsEnvelope,
    Checkpoint,
    CheckpointCreate,
    CheckpointEnvelope,
    CheckpointPage,
    ExecutionAnalytics,
    ExecutionEnvelope,
    ExecutionPage,
    FailurePage,
    RecoveryResponse,
    RollbackCreate,
    RollbackResponse,
    WorkflowEnvelope,
    WorkflowPage,
    WorkflowUpdate,
)
from omium.schemas.workflows import Workflow, WorkflowCreate
from omium.types import RecoveryActionType, TriggerType

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Id = uuid.UUID | str

API = "/api/v1"


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    #: False for the auth endpoints, which must not send (or refresh) a token
    authenticated: bool = True


def _model(cls: type[M]) -> Callable[[Any], M]:
    return cls.model_validate


def _body(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_none=True)


def _params(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            out[key] = str(value)
        else:
            out[key] = getattr(value, "value", value)
    return out


def _none(_: Any) -> None:
    return None


# -- auth -----------------------------------------------------------------------------------


def register(
    email: str, password: str, tenant_name: str, first_name: str | None, last_name: str | None
) -> Call[RegisterResponse]:
    body = RegisterRequest(
        email=email,
        password=password,
        tenant_name=tenant_name,
        first_name=first_name,
        last_name=last_name,
    )
    return Call(
        "POST", "/auth/register", _model(RegisterResponse), _body(body), authenticated=False
    )


def login(email: str, password: str, mfa_code: str | None) -> Call[LoginResponse]:
    body = LoginRequest(email=email, password=password, mfa_code=mfa_code)
    return Call("POST", "/auth/login", _model(LoginResponse), _body(body), authenticated=False)


def refresh(refresh_token: str) -> Call[RefreshResponse]:
    body = RefreshRequest(refresh_token=refresh_token)
    return Call("POST", "/auth/refresh", _model(RefreshResponse), _body(body), authenticated=False)


def logout(refresh_token: str) -> Call[None]:
    body = _body(LogoutRequest(refresh_token=refresh_token))
    return Call("POST", "/auth/logout", _none, body)


def me() -> Call[Me]:
    return Call("GET", "/auth/me", _model(Me))


# -- executions -----------------------------------------------------------------------------


def _execution(data: Any) -> Execution:
    return ExecutionEnvelope.model_validate(data).execution


def start_execution(
    workflow_id: Id,
    input_params: dict[str, Any] | None,
    trigger_type: TriggerType | str,
    metadata: dict[str, Any] | None,
) -> Call[Execution]:
    body = ExecutionCreate(
        workflow_id=uuid.UUID(str(workflow_id)),
        input_params=input_params or {},
        trigger_type=TriggerType(trigger_type),
        metadata=metadata or {},
    )
    return Call("POST", f"{API}/executions", _execution, _body(body))


def list_executions(
    status: str | None, workflow_id: Id | None, limit: int, offset: int
) -> Call[ExecutionPage]:
    params = _params(status=status, workflow_id=workflow_id, limit=limit, offset=offset)
    return Call("GET", f"{API}/executions", _model(ExecutionPage), params=params)


def get_execution(execution_id: Id) -> Call[Execution]:
    return Call("GET", f"{API}/executions/{execution_id}", _execution)


def pause_execution(execution_id: Id) -> Call[ExecutionEnvelope]:
    return Call("POST", f"{API}/executions/{execution_id}/pause", _model(ExecutionEnvelope), {})


def resume_execution(execution_id: Id, checkpoint_name: str | None) -> Call[ExecutionEnvelope]:
    body = _body(ResumeRequest(checkpoint_name=checkpoint_name))
    path = f"{API}/executions/{execution_id}/resume"
    return Call("POST", path, _model(ExecutionEnvelope), body)


def cancel_execution(execution_id: Id) -> Call[ExecutionEnvelope]:
    path = f"{API}/executions/{execution_id}/cancel"
    return Call("POST", path, _model(ExecutionEnvelope), {})


def list_checkpoints(
    execution_id: Id, include_superseded: bool, limit: int, offset: int
) -> Call[CheckpointPage]:
    params = _params(include_superseded=include_superseded, limit=limit, offset=offset)
    path = f"{API}/executions/{execution_id}/checkpoints"
    return Call("GET", path, _model(CheckpointPage), params=params)


def events_path(execution_id: Id) -> str:
    return f"{API}/executions/{execution_id}/events"


# -- checkpoints ----------------------------------------------------------------------------


def _checkpoint(data: Any) -> Checkpoint:
    return CheckpointEnvelope.model_validate(data).checkpoint


def get_checkpoint(checkpoint_id: Id) -> Call[Checkpoint]:
    return Call("GET", f"{API}/checkpoints/{checkpoint_id}", _checkpoint)


def create_checkpoint(
    execution_id: Id,
    checkpoint_name: str,
    state: dict[str, Any],
    agent_id: Id | None,
    metadata: dict[str, Any] | None,
) -> Call[Checkpoint]:
    body = CheckpointCreate(
        execution_id=uuid.UUID(str(execution_id)),
        agent_id=uuid.UUID(str(agent_id)) if agent_id is not None else None,
        checkpoint_name=checkpoint_name,
        state=state,
        metadata=metadata or {},
    )
    return Call("POST", f"{API}/checkpoints", _checkpoint, _body(body))


def rollback(checkpoint_id: Id, reason: str | None) -> Call[RollbackResponse]:
    body = _body(RollbackCreate(reason=reason) if reason else RollbackCreate())
    path = f"{API}/checkpoints/{checkpoint_id}/rollback"
    return Call("POST", path, _model(RollbackResponse), body)


# -- failures -------------------------------------------------------------------------------


def list_failures(
    execution_id: Id | None,
    severity: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> Call[FailurePage]:
    params = _params(
        execution_id=execution_id, severity=severity, status=status, limit=limit, offset=offset
    )
    return Call("GET", f"{API}/failures", _model(FailurePage), params=params)


def recover_failure(
    failure_id: Id, action_type: RecoveryActionType | str, action_config: dict[str, Any] | None
) -> Call[RecoveryResponse]:
    kind = RecoveryActionType(action_type).value
    body = _body(RecoverRequest(action_type=kind, action_config=action_config or {}))
    path = f"{API}/failures/{failure_id}/recover"
    return Call("POST", path, _model(RecoveryResponse), body)


# -- analytics ------------------------------------------------------------------------------


def execution_analytics(
    start_date: date | str | None, end_date: date | str | None, group_by: str | None
) -> Call[ExecutionAnalytics]:
    def parse(data: Any) -> ExecutionAnalytics:
        return AnalyticsEnvelope.model_validate(data).analytics

    params = _params(start_date=start_date, end_date=end_date, group_by=group_by)
    return Call("GET", f"{API}/analytics/executions", parse, params=params)


# -- workflows ------------------------------------------------------------------------------


def _workflow(data: Any) -> Workflow:
    return WorkflowEnvelope.model_validate(data).workflow


def create_workflow(
    name: str, definition: dict[str, Any], description: str | None
) -> Call[Workflow]:
    """A new workflow; its definition becomes published version 1."""
    body = _body(WorkflowCreate(name=name, definition=definition, description=description))
    return Call("POST", f"{API}/workflows", _workflow, body)


def publish_version(workflow_id: Id, definition: dict[str, Any]) -> Call[Workflow]:
    """A new version of a workflow's definition."""
    body = _body(WorkflowUpdate(definition=definition))
    return Call("PATCH", f"{API}/workflows/{workflow_id}", _workflow, body)


def list_workflows(status: str | None, limit: int, offset: int) -> Call[WorkflowPage]:
    params = _params(status=status, limit=limit, offset=offset)
    return Call("GET", f"{API}/workflows", _model(WorkflowPage), params=params)


def get_workflow(workflow_id: Id) -> Call[Workflow]:
    return Call("GET", f"{API}/workflows/{workflow_id}", _workflow)


def publish_workflow(workflow_id: Id) -> Call[Workflow]:
    return Call("POST", f"{API}/workflows/{workflow_id}/publish", _workflow, {})


def archive_workflow(workflow_id: Id) -> Call[Workflow]:
    return Call("POST", f"{API}/workflows/{workflow_id}/archive", _workflow, {})


# -- API keys -------------------------------------------------------------------------------


def create_api_key(
    name: str, permissions: list[str] | None, expires_at: datetime | None
) -> Call[ApiKeyCreated]:
    def parse(data: Any) -> ApiKeyCreated:
        return ApiKeyEnvelope.model_validate(data).api_key

    body = _body(ApiKeyCreate(name=name, permissions=permissions or None, expires_at=expires_at))
    return Call("POST", f"{API}/api-keys", parse, body)


def list_api_keys(limit: int, offset: int) -> Call[ApiKeyList]:
    params = _params(limit=limit, offset=offset)
    return Call("GET", f"{API}/api-keys", _model(ApiKeyList), params=params)


def get_api_key(key_id: Id) -> Call[ApiKey]:
    return Call("GET", f"{API}/api-keys/{key_id}", _model(ApiKey))


def revoke_api_key(key_id: Id) -> Call[None]:
    return Call("DELETE", f"{API}/api-keys/{key_id}", _none)
