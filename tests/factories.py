"""Valid rows of every table, for tests that need a parent or a row to break."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from omium.store.models import (
    Agent,
    Checkpoint,
    Execution,
    Tenant,
    User,
    Workflow,
)


def make_tenant(session: Session, **values: Any) -> Tenant:
    slug = values.pop("slug", f"t-{uuid.uuid4().hex[:10]}")
    tenant = Tenant(name=values.pop("name", slug), slug=slug, **values)
    session.add(tenant)
    session.flush()
    return tenant


def make_user(session: Session, tenant: Tenant, **values: Any) -> User:
    email = values.pop("email", f"{uuid.uuid4().hex[:10]}@example.com")
    user = User(tenant_id=tenant.id, email=email, **values)
    session.add(user)
    session.flush()
    return user


def make_workflow(session: Session, tenant: Tenant, user: User, **values: Any) -> Workflow:
    workflow = Workflow(
        tenant_id=tenant.id,
        created_by=user.id,
        name=values.pop("name", "onboarding"),
        definition=values.pop("definition", {"agents": [], "flow": []}),
        **values,
    )
    session.add(workflow)
    session.flush()
    return workflow


def make_execution(session: Session, workflow: Workflow, **values: Any) -> Execution:
    execution = Execution(tenant_id=workflow.tenant_id, workflow_id=workflow.id, **values)
    session.add(execution)
    session.flush()
    return execution


def make_agent(session: Session, execution: Execution, **values: Any) -> Agent:
    agent = Agent(
        execution_id=execution.id,
        name=values.pop("name", "kyc_agent"),
        agent_type=values.pop("agent_type", "custom"),
        config=values.pop("config", {}),
        framework=values.pop("framework", "custom"),
        **values,
    )
    session.add(agent)
    session.flush()
    return agent


def make_checkpoint(session: Session, execution: Execution, **values: Any) -> Checkpoint:
    checkpoint = Checkpoint(
        execution_id=execution.id,
        checkpoint_name=values.pop("checkpoint_name", f"cp_{uuid.uuid4().hex[:8]}"),
        checkpoint_index=values.pop("checkpoint_index", 0),
        state_size_bytes=values.pop("state_size_bytes", 2),
        state_blob_uri=values.pop("state_blob_uri", "file:///dev/null"),
        checksum=values.pop("checksum", "0" * 64),
        **values,
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


class World:
    """Two tenants, each with a user, a workflow, an execution, an agent and a checkpoint."""

    def __init__(self, session: Session) -> None:
        self.tenant_a = make_tenant(session)
        self.user_a = make_user(session, self.tenant_a)
        self.workflow_a = make_workflow(session, self.tenant_a, self.user_a)
        self.execution_a = make_execution(session, self.workflow_a)
        self.agent_a = make_agent(session, self.execution_a)
        self.checkpoint_a = make_checkpoint(session, self.execution_a, agent_id=self.agent_a.id)
        self.tenant_b = make_tenant(session)
        self.user_b = make_user(session, self.tenant_b)
        self.workflow_b = make_workflow(session, self.tenant_b, self.user_b)
        self.execution_b = make_execution(session, self.workflow_b)
        self.agent_b = make_agent(session, self.execution_b)
        self.checkpoint_b = make_checkpoint(session, self.execution_b, agent_id=self.agent_b.id)
