"""Running workflows on this machine, for ``omium run`` and ``omium demo``.

The same engine and services as a server, on the configured store (by default the embedded
SQLite file and blob folder under ``.omium``), with the executions owned by the local tenant.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from omium.bootstrap import Runtime, build_runtime
from omium.config import Settings
from omium.domain.workflow import parse_workflow_definition
from omium.engine import Engine, Event, build_engine
from omium.schemas.executions import Execution, ExecutionCreate
from omium.schemas.workflows import Workflow, WorkflowCreate
from omium.services.executions import ExecutionService
from omium.services.local import LocalPrincipal, local_principal
from omium.services.recovery import RecoveryService
from omium.services.workflows import WorkflowService
from omium.types import TriggerType


@dataclass
class LocalEnv:
    settings: Settings
    runtime: Runtime
    engine: Engine
    workflows: WorkflowService
    executions: ExecutionService
    recovery: RecoveryService
    principal: LocalPrincipal


@contextmanager
def local_env(settings: Settings) -> Iterator[LocalEnv]:
    """The runtime (database brought to head), the engine and its services."""
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    try:
        workflows, executions, recovery = engine.services()
        assert isinstance(workflows, WorkflowService)
        assert isinstance(executions, ExecutionService)
        assert isinstance(recovery, RecoveryService)
        yield LocalEnv(
            settings,
            runtime,
            engine,
            workflows,
            executions,
            recovery,
            local_principal(runtime.db),
        )
    finally:
        engine.close()
        runtime.close()


def load_agent_files(paths: list[str]) -> None:
    """Import agent modules given as files (``agents.py``) or module names (``pkg.agents``).

    Only the person running the command chooses them: this is the operator's allow-list of
    a local run, as ``OMIUM_AGENT_MODULES`` is a server's.
    """
    for spec in paths:
        path = Path(spec)
        if path.suffix == ".py" or path.exists():
            if not path.is_file():
                raise typer.BadParameter(f"agent file {spec} does not exist", param_hint="--agents")
            resolved = path.resolve()
            digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
            name = f"omium_local_agents.{resolved.stem}_{digest}"
            if name in sys.modules:
                continue
            module_spec = importlib.util.spec_from_file_location(name, resolved)
            if module_spec is None or module_spec.loader is None:
                raise typer.BadParameter(f"cannot import {spec}", param_hint="--agents")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            # Let the agents module import its siblings.
            sys.path.insert(0, str(resolved.parent))
            module_spec.loader.exec_module(module)
        else:
            importlib.import_module(spec)


def parse_inputs(values: list[str]) -> dict[str, Any]:
    """``key=value`` pairs (values parsed as JSON when they are JSON) and ``@file.json``."""
    params: dict[str, Any] = {}
    for item in values:
        if item.startswith("@"):
            path = Path(item[1:])
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise typer.BadParameter(
                    f"cannot read {path}: {exc.strerror}", param_hint="--input"
                ) from None
            except ValueError as exc:
                raise typer.BadParameter(
                    f"{path} is not JSON: {exc}", param_hint="--input"
                ) from None
            if not isinstance(data, dict):
                raise typer.BadParameter(f"{path} must hold a JSON object", param_hint="--input")
            params.update(data)
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"expected key=value or @file.json, got {item!r}", param_hint="--input"
            )
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def ensure_workflow(
    env: LocalEnv, name: str, description: str | None, definition: dict[str, Any]
) -> Workflow:
    """The local workflow of this name at this definition: reused when unchanged, a new
    version when changed, created when new."""
    tenant = env.principal.tenant_id
    wanted = parse_workflow_definition(definition).to_json()
    for existing in env.workflows.list(tenant, limit=1000):
        if existing.name == name:
            if existing.definition == wanted:
                return existing
            return env.workflows.publish_version(tenant, existing.id, definition)
    return env.workflows.create(
        tenant,
        WorkflowCreate(name=name, description=description, definition=definition),
        created_by=env.principal.user_id,
    )


def start(env: LocalEnv, workflow: Workflow, params: dict[str, Any]) -> Execution:
    return env.executions.start(
        env.principal.tenant_id,
        ExecutionCreate(
            workflow_id=workflow.id, input_params=params, trigger_type=TriggerType.MANUAL
        ),
        triggered_by=env.principal.user_id,
    )


def run_until_settled(
    env: LocalEnv, execution_id: uuid.UUID, on_event: Callable[[Event], None]
) -> Execution:
    """Run a worker in this process until nothing is left to run; events of the execution
    go to ``on_event`` as they are committed. Returns the execution as it ended."""

    def forward(event: Event) -> None:
        if event.execution_id == execution_id:
            on_event(event)

    unsubscribe = env.engine.bus.subscribe(forward)
    try:
        worker = env.engine.worker(poll_seconds=0.05)
        asyncio.run(worker.run(until_idle=True))
    finally:
        unsubscribe()
    return env.executions.get(env.principal.tenant_id, execution_id)
