"""In-process use: ``omium.run(definition, input_params)`` runs an execution to its end.

The same engine and the same durability as a worker: the execution, its checkpoints,
failures and events go to the configured store; only the claim is for this one execution.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from omium.bootstrap import build_runtime
from omium.config import Settings, load_settings
from omium.domain.workflow import WorkflowDefinition, load_workflow_file, parse_workflow_definition
from omium.engine import build_engine, claims
from omium.engine.runner import Runner
from omium.engine.worker import default_worker_id
from omium.schemas.executions import Execution, ExecutionCreate
from omium.schemas.workflows import WorkflowCreate
from omium.services.executions import ExecutionService
from omium.services.workflows import WorkflowService
from omium.store.models import Tenant, User, Workflow
from omium.store.uow import UnitOfWork

LOCAL_TENANT_SLUG = "local"


def _local_principal(uow: UnitOfWork) -> tuple[uuid.UUID, uuid.UUID]:
    """The tenant and user of in-process runs (created on first use)."""
    s = uow.session
    tenant = s.scalar(select(Tenant).where(Tenant.slug == LOCAL_TENANT_SLUG))
    if tenant is None:
        tenant = Tenant(name="Local", slug=LOCAL_TENANT_SLUG)
        s.add(tenant)
        s.flush()
    user = s.scalar(select(User).where(User.tenant_id == tenant.id).limit(1))
    if user is None:
        user = User(tenant_id=tenant.id, email="local@omium.invalid")
        s.add(user)
        s.flush()
    return tenant.id, user.id


def run(
    definition: Mapping[str, Any] | WorkflowDefinition | str | Path,
    input_params: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    name: str | None = None,
) -> Execution:
    """Run a workflow (a definition, or a YAML/JSON file) to its end; return the execution.

    A failure that pauses the execution (manual_intervention) returns it paused.
    """
    if isinstance(definition, str | Path):
        parsed = load_workflow_file(definition)
    else:
        parsed = parse_workflow_definition(definition)
    body = parsed.to_json()
    settings = settings or load_settings()
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    try:
        with UnitOfWork(runtime.db) as uow:
            tenant_id, user_id = _local_principal(uow)
            uow.commit()
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
        wf_name = name or f"inline-{digest}"
        workflows = WorkflowService(runtime.db)
        with UnitOfWork(runtime.db, read_only=True) as uow:
            existing = uow.session.scalar(
                select(Workflow.id).where(Workflow.tenant_id == tenant_id, Workflow.name == wf_name)
            )
        if existing is None:
            existing = workflows.create(
                tenant_id, WorkflowCreate(name=wf_name, definition=body), created_by=user_id
            ).id
        executions = ExecutionService(runtime.db, engine.deps.checkpoints, engine.bus)
        ex = executions.start(
            tenant_id,
            ExecutionCreate(
                workflow_id=existing,
                input_params=dict(input_params or {}),
                trigger_type="manual",
            ),
        )
        worker_id = default_worker_id()
        claimed = claims.claim(
            runtime.db,
            worker_id,
            limit=1,
            lease_seconds=settings.worker_lease_seconds,
            execution_id=ex.id,
        )
        if claimed:
            asyncio.run(_drive(Runner(engine.deps, tenant_id, ex.id, worker_id), settings))
        return executions.get(tenant_id, ex.id)
    finally:
        engine.close()
        runtime.close()


async def _drive(runner: Runner, settings: Settings) -> None:
    """Run with a heartbeat, like a worker does."""

    async def beat() -> None:
        interval = min(1.0, settings.worker_lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            kept = await asyncio.to_thread(
                claims.heartbeat,
                runner.deps.db,
                runner.worker_id,
                [runner.execution_id],
                settings.worker_lease_seconds,
            )
            if not kept:
                runner.interrupt()

    heartbeat = asyncio.create_task(beat())
    try:
        await runner.run()
    finally:
        heartbeat.cancel()
