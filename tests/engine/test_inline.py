"""omium.run: the same engine in-process, on the configured store; the outbox is atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

import omium
from omium.config import Settings
from omium.engine.events import EventBatch
from omium.store.db import Database
from omium.store.models import Checkpoint, ExecutionEvent
from omium.store.uow import UnitOfWork
from tests.engine.conftest import LOAN, Env, linear


def test_run_in_process_from_a_yaml_file(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "loan.yaml"
    path.write_text(yaml.safe_dump({"name": "loan", "definition": LOAN}))
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    ex = omium.run(path, {"customer_data": {"name": "Ada"}}, settings=settings)
    assert ex.status == "completed", ex.error
    assert ex.output == {"offer": {"apr": 0.0, "amount": 1000}}
    again = omium.run(LOAN, {"customer_data": {"name": "Bob"}}, settings=settings)
    assert again.workflow_id == ex.workflow_id  # the same definition is one workflow
    with UnitOfWork(db) as uow:
        n = uow.session.scalar(
            select(func.count()).select_from(Checkpoint).where(Checkpoint.execution_id == again.id)
        )
    assert n == 7


def test_run_rejects_an_invalid_definition(tmp_path: Path) -> None:
    with pytest.raises(omium.OmiumError):
        omium.run(
            {"agents": [], "flow": [{"step": 1, "agent": "nobody"}]},
            settings=Settings(data_dir=tmp_path),
        )


def test_events_are_written_only_with_their_transaction(env: Env) -> None:
    ex = env.run(linear(1))
    batch = EventBatch()
    batch.add(env.tenant_id, ex.id, "execution_paused", reason="test")
    with UnitOfWork(env.db) as uow:
        batch.flush(uow.session)  # never committed
    with UnitOfWork(env.db) as uow:
        types = list(
            uow.session.scalars(
                select(ExecutionEvent.event_type).where(ExecutionEvent.execution_id == ex.id)
            )
        )
    assert "execution_paused" not in types
    assert types.count("execution_completed") == 1
