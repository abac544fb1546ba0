"""Agent configs, execution policies, analytics and the audit log."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from omium.api.deps import Limit, Offset, RuntimeDep, require
from omium.api.errors import ERROR_RESPONSES
from omium.schemas.resources import (
    AgentConfigCreate,
    AgentConfigEnvelope,
    AgentConfigPage,
    AgentConfigUpdate,
    AnalyticsEnvelope,
    AuditLogPage,
    PolicyCreate,
    PolicyEnvelope,
    PolicyPage,
    PolicyUpdate,
)
from omium.services import agent_configs, analytics, audit_logs, policies
from omium.services.context import RequestContext
from omium.types import AuditResourceType, PolicyType

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


# ------------------------------------------------------------------------------ agent configs


@router.post(
    "/agent-configs", operation_id="create_agent_config", status_code=201, tags=["agent-configs"]
)
def create_agent_config(
    body: AgentConfigCreate,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("agent_config:create"))],
) -> AgentConfigEnvelope:
    return AgentConfigEnvelope(agent_config=agent_configs.create(rt.db, ctx, body))


@router.get("/agent-configs", operation_id="list_agent_configs", tags=["agent-configs"])
def list_agent_configs(
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("agent_config:read"))],
    limit: Limit,
    offset: Offset,
    workflow_id: uuid.UUID | None = None,
) -> AgentConfigPage:
    return agent_configs.list_(rt.db, ctx, workflow_id, limit, offset)


@router.get(
    "/agent-configs/{agent_config_id}", operation_id="get_agent_config", tags=["agent-configs"]
)
def get_agent_config(
    agent_config_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("agent_config:read"))],
) -> AgentConfigEnvelope:
    return AgentConfigEnvelope(agent_config=agent_configs.get(rt.db, ctx, agent_config_id))


@router.patch(
    "/agent-configs/{agent_config_id}", operation_id="update_agent_config", tags=["agent-configs"]
)
def update_agent_config(
    agent_config_id: uuid.UUID,
    body: AgentConfigUpdate,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("agent_config:update"))],
) -> AgentConfigEnvelope:
    return AgentConfigEnvelope(agent_config=agent_configs.update(rt.db, ctx, agent_config_id, body))


@router.delete(
    "/agent-configs/{agent_config_id}",
    operation_id="delete_agent_config",
    status_code=204,
    tags=["agent-configs"],
)
def delete_agent_config(
    agent_config_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("agent_config:delete"))],
) -> Response:
    agent_configs.delete(rt.db, ctx, agent_config_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ policies


@router.post("/policies", operation_id="create_policy", status_code=201, tags=["policies"])
def create_policy(
    body: PolicyCreate,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("policy:create"))],
) -> PolicyEnvelope:
    return PolicyEnvelope(policy=policies.create(rt.db, ctx, body))


@router.get("/policies", operation_id="list_policies", tags=["policies"])
def list_policies(
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("policy:read"))],
    limit: Limit,
    offset: Offset,
    workflow_id: uuid.UUID | None = None,
    policy_type: PolicyType | None = None,
    is_active: bool | None = None,
) -> PolicyPage:
    return policies.list_(
        rt.db,
        ctx,
        workflow_id=workflow_id,
        policy_type=policy_type.value if policy_type else None,
        is_active=is_active,
        limit=limit,
        offset=offset,
    )


@router.get("/policies/{policy_id}", operation_id="get_policy", tags=["policies"])
def get_policy(
    policy_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("policy:read"))],
) -> PolicyEnvelope:
    return PolicyEnvelope(policy=policies.get(rt.db, ctx, policy_id))


@router.patch("/policies/{policy_id}", operation_id="update_policy", tags=["policies"])
def update_policy(
    policy_id: uuid.UUID,
    body: PolicyUpdate,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("policy:update"))],
) -> PolicyEnvelope:
    """Change a policy; its version goes up by one."""
    return PolicyEnvelope(policy=policies.update(rt.db, ctx, policy_id, body))


@router.delete(
    "/policies/{policy_id}", operation_id="delete_policy", status_code=204, tags=["policies"]
)
def delete_policy(
    policy_id: uuid.UUID,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("policy:delete"))],
) -> Response:
    policies.delete(rt.db, ctx, policy_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ analytics


@router.get("/analytics/executions", operation_id="execution_analytics", tags=["analytics"])
def execution_analytics(
    request: Request,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("analytics:read"))],
    start_date: date | None = None,
    end_date: date | None = None,
    group_by: Annotated[str, Query(pattern="^day$")] = "day",
) -> AnalyticsEnvelope:
    """LLD §2.5: totals, success rate, average duration, cost, per day, failure breakdown."""
    return AnalyticsEnvelope(
        analytics=analytics.execution_analytics(
            rt.db, ctx, start_date, end_date, request.app.state.metrics_cache
        )
    )


# ------------------------------------------------------------------------------ audit log


@router.get("/audit-logs", operation_id="list_audit_logs", tags=["audit"])
def list_audit_logs(
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("audit:read"))],
    limit: Limit,
    offset: Offset,
    resource_type: AuditResourceType | None = None,
    resource_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    user_id: uuid.UUID | None = None,
    since: AwareDatetime | None = None,
) -> AuditLogPage:
    """Newest first."""
    return audit_logs.list_audit_logs(
        rt.db,
        ctx,
        resource_type=resource_type.value if resource_type else None,
        resource_id=resource_id,
        action=action,
        user_id=user_id,
        since=since,
        limit=limit,
        offset=offset,
    )
