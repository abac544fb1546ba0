"""Engine fixtures: a real store (the suite's database, a blob folder), services, a worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omium.config import Settings
from omium.engine import Engine, build_engine
from omium.schemas.executions import Execution, ExecutionCreate
from omium.schemas.workflows import WorkflowCreate
from omium.services.executions import ExecutionService
from omium.services.recovery import RecoveryService
from omium.services.workflows import WorkflowService
from omium.store.db import Database
from omium.store.uow import UnitOfWork
from tests.engine import agents as _agents
from tests.factories import make_tenant, make_user


@dataclass
class Env:
    engine: Engine
    workflows: WorkflowService
    executions: ExecutionService
    recovery: RecoveryService
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    db: Database

    def workflow(self, definition: dict[str, Any], name: str = "wf") -> uuid.UUID:
        return self.workflows.create(
            self.tenant_id,
            WorkflowCreate(name=name, definition=definition),
            created_by=self.user_id,
        ).id

    def start(self, workflow_id: uuid.UUID, **params: Any) -> Execution:
        return self.executions.start(
            self.tenant_id, ExecutionCreate(workflow_id=workflow_id, input_params=params)
        )

    def drain(self, **overrides: Any) -> None:
        """Run a worker until nothing is left to claim or run."""
        worker = self.engine.worker(poll_seconds=0.05, **overrides)
        asyncio.run(worker.run(until_idle=True))

    def run(self, definition: dict[str, Any], **params: Any) -> Execution:
        ex = self.start(self.workflow(definition), **params)
        self.drain()
        return self.executions.get(self.tenant_id, ex.id)


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db.url,
        blob_url=(tmp_path / "blobs").as_uri(),
        worker_lease_seconds=5,
    )
    engine = build_engine(settings, db)
    with UnitOfWork(db) as uow:
        tenant = make_tenant(uow.session)
        user = make_user(uow.session, tenant)
        uow.commit()
        tenant_id, user_id = tenant.id, user.id
    wf, ex, rec = engine.services()
    assert isinstance(wf, WorkflowService) and isinstance(ex, ExecutionService)
    assert isinstance(rec, RecoveryService)
    _agents.calls.clear()
    _agents.gate.clear()
    _agents.probe.reset()
    _agents.stuck_gate.clear()
    yield Env(engine, wf, ex, rec, tenant_id, user_id, db)
    _agents.gate.set()
    _agents.stuck_gate.set()
    engine.close()


def linear(n: int, handler: str = "noop", **agent_config: Any) -> dict[str, Any]:
    return {
        "agents": [
            {"id": f"a{i}", "config": {"handler": handler, **agent_config}} for i in range(1, n + 1)
        ],
        "flow": [
            {"step": i, "agent": f"a{i}", "depends_on": [i - 1] if i > 1 else []}
            for i in range(1, n + 1)
        ],
    }


LOAN = {
    "agents": [
        {"id": "kyc_agent"},
        {"id": "credit_agent"},
        {"id": "offer_agent", "config": {"prompt": "Generate offer terms."}},
    ],
    "flow": [
        {
            "step": 1,
            "agent": "kyc_agent",
            "inputs": ["customer_data"],
            "outputs": ["kyc_verified", "kyc_score"],
            "checkpoints": ["kyc_validated"],
        },
        {
            "step": 2,
            "agent": "credit_agent",
            "inputs": ["kyc_verified", "kyc_score"],
            "outputs": ["credit_score"],
            "depends_on": [1],
        },
        {
            "step": 3,
            "agent": "offer_agent",
            "inputs": ["credit_score"],
            "outputs": ["offer"],
            "depends_on": [2],
        },
    ],
    "policies": {"timeout_per_agent_ms": 5000, "max_retries": 2, "backoff_base_ms": 1},
}
