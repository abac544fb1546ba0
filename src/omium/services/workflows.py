"""Workflows: create, publish a new definition version, read (each call one transaction).

An agent's ``config_ref`` must name an agent config of the same tenant when the definition
is stored; executions pin the referenced configs when they start.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from omium.clock import utcnow
from omium.domain.workflow import parse_workflow_definition
from omium.errors import ErrorCode, NotFoundError
from omium.schemas.workflows import Workflow as WorkflowOut
from omium.schemas.workflows import WorkflowCreate
from omium.services import agent_configs
from omium.store.db import Database
from omium.store.models import Workflow, WorkflowDefinition
from omium.store.uow import UnitOfWork


def to_schema(row: Workflow) -> WorkflowOut:
    return WorkflowOut(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        definition=row.definition,
        version=row.version,
        status=row.status,
        published_at=row.published_at,
        tags=list(row.tags or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class WorkflowService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, tenant_id: uuid.UUID, data: WorkflowCreate, *, created_by: uuid.UUID
    ) -> WorkflowOut:
        """Validate and store a workflow; its definition becomes published version 1."""
        parsed = parse_workflow_definition(data.definition)
        definition = parsed.to_json()
        with UnitOfWork(self.db) as uow:
            agent_configs.resolve_refs(uow, tenant_id, parsed)
            now = utcnow()
            row = uow.repo(Workflow, tenant_id).add(
                Workflow(
                    tenant_id=tenant_id,
                    created_by=created_by,
                    name=data.name,
                    description=data.description,
                    definition=definition,
                    version=1,
                    config=data.config,
                    status="published",
                    published_at=now,
                    tags=data.tags,
                )
            )
            uow.repo(WorkflowDefinition, tenant_id).add(
                WorkflowDefinition(
                    workflow_id=row.id,
                    tenant_id=tenant_id,
                    name=data.name,
                    version=1,
                    definition=definition,
                    published_at=now,
                )
            )
            uow.commit()
            return to_schema(row)

    def publish_version(
        self, tenant_id: uuid.UUID, workflow_id: uuid.UUID, definition: dict[str, Any]
    ) -> WorkflowOut:
        """A new version of the definition; running executions keep the version they started."""
        checked = parse_workflow_definition(definition)
        parsed = checked.to_json()
        with UnitOfWork(self.db) as uow:
            row = uow.repo(Workflow, tenant_id).require(workflow_id, for_update=True)
            agent_configs.resolve_refs(uow, tenant_id, checked)
            now = utcnow()
            row.version = row.version + 1
            row.definition = parsed
            row.published_at = now
            row.status = "published"
            uow.repo(WorkflowDefinition, tenant_id).add(
                WorkflowDefinition(
                    workflow_id=row.id,
                    tenant_id=tenant_id,
                    name=row.name,
                    version=row.version,
                    definition=parsed,
                    published_at=now,
                )
            )
            uow.session.flush()
            uow.commit()
            return to_schema(row)

    def get(self, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> WorkflowOut:
        with UnitOfWork(self.db, read_only=True) as uow:
            return to_schema(uow.repo(Workflow, tenant_id).require(workflow_id))

    def get_version(
        self, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int
    ) -> dict[str, Any]:
        with UnitOfWork(self.db, read_only=True) as uow:
            found = uow.session.scalar(
                select(WorkflowDefinition.definition).where(
                    WorkflowDefinition.workflow_id == workflow_id,
                    WorkflowDefinition.tenant_id == tenant_id,
                    WorkflowDefinition.version == version,
                )
            )
            if found is None:
                raise NotFoundError(
                    f"Workflow '{workflow_id}' has no version {version}",
                    code=ErrorCode.WORKFLOW_NOT_FOUND,
                    details={"workflow_id": str(workflow_id), "version": version},
                )
            return dict(found)

    def list(self, tenant_id: uuid.UUID, *, limit: int = 50, offset: int = 0) -> list[WorkflowOut]:
        with UnitOfWork(self.db, read_only=True) as uow:
            rows = uow.repo(Workflow, tenant_id).list(
                Workflow.deleted_at.is_(None),
                order_by=[Workflow.created_at.desc()],
                limit=limit,
                offset=offset,
            )
            return [to_schema(r) for r in rows]
