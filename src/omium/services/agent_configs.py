"""Agent configs (LLD §1.2 agent_configs): create, list, get, update, delete, and the
resolution of a workflow agent's ``config_ref``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from omium.domain.workflow import (
    WorkflowDefinition,
    apply_agent_configs,
    config_refs,
    parse_agent_config,
)
from omium.errors import ErrorCode, ValidationError
from omium.schemas.common import Pagination
from omium.schemas.resources import AgentConfig as AgentConfigOut
from omium.schemas.resources import AgentConfigCreate, AgentConfigPage, AgentConfigUpdate
from omium.services import audit
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import AgentConfig, Workflow
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

# The LLD's audit resource types have no agent config: it is part of a workflow.
RESOURCE = AuditResourceType.WORKFLOW
_FIELDS = ("workflow_id", "name", "description", "framework", "version", "config")


def _snapshot(row: AgentConfig) -> dict[str, object]:
    return {f: getattr(row, f) for f in _FIELDS}


_CONFIG_BY_ID = select(
    AgentConfig.id, AgentConfig.name, AgentConfig.version, AgentConfig.framework, AgentConfig.config
)


def resolve_refs(
    conn: Connection | Session | UnitOfWork, tenant_id: uuid.UUID, definition: WorkflowDefinition
) -> dict[str, dict[str, Any]]:
    """The agent configs ``definition``'s agents reference, as an execution pins them:
    ``{agent id: {"id", "name", "version", "framework", "config"}}``.

    A reference to a config that does not exist in ``tenant_id`` (another tenant's included)
    is INVALID_INPUT, naming the agent and the reference; so is a config that does not fit
    the agent (framework, or its merged config).
    """
    refs = config_refs(definition)
    if not refs:
        return {}
    executor = conn.session if isinstance(conn, UnitOfWork) else conn
    pinned: dict[str, dict[str, Any]] = {}
    for agent_id, ref in refs.items():
        try:
            config_id = uuid.UUID(ref)
        except ValueError:
            raise ValidationError(
                f"agent '{agent_id}': config_ref '{ref}' is not an agent config id (a UUID)",
                code=ErrorCode.INVALID_FIELD_FORMAT,
                details={"problem": "config_ref_format", "agent": agent_id, "config_ref": ref},
            ) from None
        row = executor.execute(
            _CONFIG_BY_ID.where(AgentConfig.id == config_id, AgentConfig.tenant_id == tenant_id)
        ).first()
        if row is None:
            raise ValidationError(
                f"agent '{agent_id}' references agent config '{ref}', which does not exist",
                code=ErrorCode.INVALID_INPUT,
                details={"problem": "unknown_agent_config", "agent": agent_id, "config_ref": ref},
            )
        pinned[agent_id] = {
            "id": str(row.id),
            "name": row.name,
            "version": row.version,
            "framework": row.framework,
            "config": dict(row.config),
        }
    apply_agent_configs(definition, pinned)  # the merged configs must be valid
    return pinned


def create(db: Database, ctx: RequestContext, body: AgentConfigCreate) -> AgentConfigOut:
    parse_agent_config(body.config)
    with UnitOfWork(db) as uow:
        if body.workflow_id is not None:
            uow.repo(Workflow, ctx.tenant_id).require(body.workflow_id)
        row = uow.repo(AgentConfig, ctx.tenant_id).add(
            AgentConfig(
                workflow_id=body.workflow_id,
                name=body.name,
                description=body.description,
                framework=body.framework.value,
                version=body.version,
                config=body.config,
            )
        )
        audit.record(
            uow,
            ctx,
            "agent_config.create",
            RESOURCE,
            row.id,
            None,
            _snapshot(row),
            metadata={"kind": "agent_config"},
        )
        uow.commit()
        return AgentConfigOut.model_validate(row)


def list_(
    db: Database, ctx: RequestContext, workflow_id: uuid.UUID | None, limit: int, offset: int
) -> AgentConfigPage:
    criteria = [AgentConfig.workflow_id == workflow_id] if workflow_id else []
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(AgentConfig, ctx.tenant_id)
        rows = repo.list(
            *criteria, order_by=[AgentConfig.created_at, AgentConfig.id], limit=limit, offset=offset
        )
        return AgentConfigPage(
            agent_configs=[AgentConfigOut.model_validate(r) for r in rows],
            pagination=Pagination(total=repo.count(*criteria), limit=limit, offset=offset),
        )


def get(db: Database, ctx: RequestContext, config_id: uuid.UUID) -> AgentConfigOut:
    with UnitOfWork(db, read_only=True) as uow:
        return AgentConfigOut.model_validate(
            uow.repo(AgentConfig, ctx.tenant_id).require(config_id)
        )


def update(
    db: Database, ctx: RequestContext, config_id: uuid.UUID, body: AgentConfigUpdate
) -> AgentConfigOut:
    if body.config is not None:
        parse_agent_config(body.config)
    with UnitOfWork(db) as uow:
        row = uow.repo(AgentConfig, ctx.tenant_id).require(config_id, for_update=True)
        old = _snapshot(row)
        for name, value in body.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(row, name, value.value if name == "framework" else value)
        uow.session.flush()
        audit.record(
            uow,
            ctx,
            "agent_config.update",
            RESOURCE,
            row.id,
            old,
            _snapshot(row),
            metadata={"kind": "agent_config"},
        )
        uow.commit()
        return AgentConfigOut.model_validate(row)


def delete(db: Database, ctx: RequestContext, config_id: uuid.UUID) -> None:
    with UnitOfWork(db) as uow:
        repo = uow.repo(AgentConfig, ctx.tenant_id)
        row = repo.require(config_id, for_update=True)
        old = _snapshot(row)
        repo.delete(row)
        audit.record(
            uow,
            ctx,
            "agent_config.delete",
            RESOURCE,
            config_id,
            old,
            None,
            metadata={"kind": "agent_config"},
        )
        uow.commit()
