"""In-process use: a :class:`LocalEngine` built once runs executions to their end.

``omium.run(definition, input_params)`` is its one-shot form. The same engine and the same
durability as a worker: the execution, its checkpoints, failures and events go to the
configured store. The execution is started and claimed by this process in one transaction
(``ExecutionService.start_claimed``); a crash leaves it leased until the lease lapses, then
any worker takes it over.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
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

Definition = Mapping[str, Any] | WorkflowDefinition | str | Path


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


def _parse(definition: Definition) -> WorkflowDefinition:
    if isinstance(definition, str | Path):
        return load_workflow_file(definition)
    return parse_workflow_definition(definition)


class LocalEngine:
    """The engine of this process, built once from settings; :meth:`run` runs a workflow.

    ``with LocalEngine() as engine: engine.run("loan.yaml", {...})``. Opening the store,
    migrating it, loading the agent modules and the local tenant happen once, not per run;
    a workflow is stored once per definition. One run at a time (a handle per thread).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self._runtime = build_runtime(self.settings)
        try:
            self._engine = build_engine(self.settings, self._runtime.db)
            with UnitOfWork(self._runtime.db) as uow:
                self.tenant_id, self._user_id = _local_principal(uow)
                uow.commit()
        except BaseException:
            self._runtime.close()
            raise
        db = self._runtime.db
        self._workflows = WorkflowService(db)
        self.executions = ExecutionService(db, self._engine.deps.checkpoints, self._engine.bus)
        self.worker_id = default_worker_id()
        self._lease = claims.LeaseRequest(self.worker_id, self.settings.worker_lease_seconds)
        # (name, definition as given) -> workflow id: a repeated run parses nothing.
        self._known: dict[tuple[str | None, str], uuid.UUID] = {}
        self._loop: asyncio.AbstractEventLoop | None = asyncio.new_event_loop()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._loop is None:
            return
        self._loop.run_until_complete(self._loop.shutdown_default_executor())
        self._loop.close()
        self._loop = None
        self._engine.close()
        self._runtime.close()

    def run(
        self,
        definition: Definition,
        input_params: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> Execution:
        """Run a workflow (a definition, or a YAML/JSON file) to its end; return the execution.

        A failure that pauses the execution (manual_intervention) returns it paused. When the
        local tenant is at its ``max_concurrent_executions`` the execution is returned
        pending: a worker claims it once a slot frees up.
        """
        if self._loop is None:
            raise RuntimeError("this LocalEngine is closed")
        key = self._key(definition, name)
        workflow_id = self._known.get(key) if key else None
        if workflow_id is None:
            workflow_id = self._workflow(_parse(definition), name)
            if key:
                self._known[key] = workflow_id
        data = ExecutionCreate(
            workflow_id=workflow_id, input_params=dict(input_params or {}), trigger_type="manual"
        )
        try:
            ex, snapshot = self.executions.start_claimed(self.tenant_id, data, self._lease)
        except BaseException:
            if key:
                self._known.pop(key, None)  # deleted or archived meanwhile: look it up again
            raise
        if snapshot is not None:
            runner = Runner(
                self._engine.deps, self.tenant_id, ex.id, self.worker_id, snapshot=snapshot
            )
            self._loop.run_until_complete(_drive(runner, self.settings))
        return self.executions.get(self.tenant_id, ex.id)

    @staticmethod
    def _key(definition: Definition, name: str | None) -> tuple[str | None, str] | None:
        # A file may change between runs: read every time.
        if isinstance(definition, Mapping):
            return (name, json.dumps(definition, sort_keys=True, default=str))
        if isinstance(definition, WorkflowDefinition):
            return (name, json.dumps(definition.to_json(), sort_keys=True))
        return None

    def _workflow(self, parsed: WorkflowDefinition, name: str | None) -> uuid.UUID:
        """The local workflow of this definition (created on first use)."""
        body = parsed.to_json()
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
        wf_name = name or f"inline-{digest}"
        with UnitOfWork(self._runtime.db, read_only=True) as uow:
            existing = uow.session.scalar(
                select(Workflow.id).where(
                    Workflow.tenant_id == self.tenant_id, Workflow.name == wf_name
                )
            )
        if existing is not None:
            return existing
        created = self._workflows.create(
            self.tenant_id, WorkflowCreate(name=wf_name, definition=body), created_by=self._user_id
        )
        return created.id


def run(
    definition: Definition,
    input_params: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    name: str | None = None,
) -> Execution:
    """Run a workflow (a definition, or a YAML/JSON file) to its end; return the execution.

    One-shot: builds a :class:`LocalEngine`, runs, closes it. Keep a LocalEngine to run many.
    """
    parsed = _parse(definition)  # an invalid definition fails before the store is opened
    with LocalEngine(settings) as engine:
        return engine.run(parsed, input_params, name=name)


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
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
