"""LocalEngine: a reusable in-process engine whose runs are started and claimed in one
transaction, through the real engine and store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import psycopg
import pytest
from sqlalchemy import Table, select, update

import omium
from omium.clock import utcnow
from omium.config import Settings
from omium.engine import claims, driver
from omium.engine.inline import LOCAL_TENANT_SLUG, LocalEngine
from omium.schemas.executions import ExecutionCreate
from omium.services import audit
from omium.services.auth.principal import Principal
from omium.services.context import RequestContext
from omium.store.db import Database
from omium.store.models import AuditLog, Execution, ExecutionEvent, StepAttempt, Tenant
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType
from tests.engine.conftest import LOAN, Env, linear

ROOT = Path(__file__).resolve().parents[2]


def settings_for(db: Database, tmp_path: Path, **values: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db.url,
        blob_url=(tmp_path / "blobs").as_uri(),
        **values,  # type: ignore[arg-type]
    )


def event_types(db: Database, execution_id: uuid.UUID) -> list[str]:
    with UnitOfWork(db, read_only=True) as uow:
        return list(
            uow.session.scalars(
                select(ExecutionEvent.event_type)
                .where(ExecutionEvent.execution_id == execution_id)
                .order_by(ExecutionEvent.id)
            )
        )


def test_one_handle_runs_many_executions(db: Database, tmp_path: Path) -> None:
    with omium.LocalEngine(settings_for(db, tmp_path)) as engine:
        first = engine.run(LOAN, {"customer_data": {"name": "Ada"}})
        second = engine.run(LOAN, {"customer_data": {"name": "Bob"}})
        third = engine.run(linear(2), {})
    assert [first.status, second.status, third.status] == ["completed"] * 3
    assert first.output == {"offer": {"apr": 0.0, "amount": 1000}}
    assert first.workflow_id == second.workflow_id != third.workflow_id
    assert first.id != second.id
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.session.get(Execution, second.id)
        assert row is not None
        assert row.lease_owner is None and row.started_at is not None
        workers = set(
            uow.session.scalars(
                select(StepAttempt.worker_id).where(StepAttempt.execution_id == second.id)
            )
        )
    assert workers == {engine.worker_id}
    types = event_types(db, second.id)
    # What a start and a worker's run write, once each and in order.
    assert types[:2] == ["execution_queued", "execution_started"]
    assert types[-1] == "execution_completed"
    assert types.count("execution_queued") == types.count("execution_started") == 1


def test_a_closed_handle_refuses_to_run(db: Database, tmp_path: Path) -> None:
    engine = LocalEngine(settings_for(db, tmp_path))
    engine.close()
    engine.close()  # twice is fine
    try:
        engine.run(linear(1), {})
    except RuntimeError as exc:
        assert "closed" in str(exc)
    else:
        raise AssertionError("a closed LocalEngine ran a workflow")


def test_start_claimed_writes_the_audit_row_and_the_claim_together(env: Env) -> None:
    wf = env.workflow(linear(1))
    principal = Principal(
        tenant_id=env.tenant_id,
        user_id=env.user_id,
        email=None,
        roles=("admin",),
        permissions=frozenset(),
    )
    ctx = RequestContext(principal, request_id="req-1")
    lease = claims.LeaseRequest("me", 30)
    with audit.audited(ctx, "execution.start", AuditResourceType.EXECUTION, Execution):
        ex, snapshot = env.executions.start_claimed(
            env.tenant_id, ExecutionCreate(workflow_id=wf, input_params={"x": 1}), lease
        )
    assert ex.status == "running" and snapshot is not None
    assert snapshot.execution.input_params == {"x": 1}
    with UnitOfWork(env.db, read_only=True) as uow:
        row = uow.session.get(Execution, ex.id)
        assert row is not None
        assert (row.status, row.lease_owner) == ("running", "me")
        assert row.lease_expires_at is not None and row.started_at is not None
        actions = list(
            uow.session.scalars(select(AuditLog.action).where(AuditLog.resource_id == ex.id))
        )
    assert actions == ["execution.start"]
    assert event_types(env.db, ex.id) == ["execution_queued"]


def _set_limit(db: Database, slug: str, limit: int) -> uuid.UUID:
    with UnitOfWork(db) as uow:
        uow.session.execute(
            update(Tenant).where(Tenant.slug == slug).values(max_concurrent_executions=limit)
        )
        tenant_id = uow.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        uow.commit()
    assert tenant_id is not None
    return tenant_id


def test_over_the_tenant_limit_it_stays_pending_for_a_worker(
    env: Env, db: Database, tmp_path: Path
) -> None:
    with LocalEngine(settings_for(db, tmp_path)) as engine:
        tenant_id = _set_limit(db, LOCAL_TENANT_SLUG, 1)
        wf = engine.run(linear(1), {}).workflow_id
        # Another worker holds the tenant's only slot.
        busy, _ = engine.executions.start_claimed(
            tenant_id,
            ExecutionCreate(workflow_id=wf, input_params={}),
            claims.LeaseRequest("elsewhere", 60),
        )
        assert busy.status == "running"
        waiting = engine.run(linear(1), {})
        assert waiting.status == "pending"
        with UnitOfWork(db, read_only=True) as uow:
            row = uow.session.get(Execution, waiting.id)
            assert row is not None and row.lease_owner is None and row.started_at is None
        assert event_types(db, waiting.id) == ["execution_queued"]
        # Still full: a worker claims nothing.
        assert claims.claim(db, "w2", limit=5, lease_seconds=5) == []
        with UnitOfWork(db) as uow:  # the slot frees up
            uow.session.execute(
                update(Execution).where(Execution.id == busy.id).values(lease_owner=None)
            )
            uow.commit()
        env.drain()
        done = engine.executions.get(tenant_id, waiting.id)
    assert done.status == "completed"
    assert event_types(db, waiting.id).count("execution_started") == 1


_CRASHING_RUN = """
import sys
from omium.engine.inline import LocalEngine
definition = {
    "agents": [
        {"id": "a1", "config": {"handler": "noop"}},
        {"id": "a2", "config": {"handler": "noop", "faults": [{"kind": "crash", "attempts": [1]}]}},
        {"id": "a3", "config": {"handler": "noop"}},
    ],
    "flow": [
        {"step": 1, "agent": "a1"},
        {"step": 2, "agent": "a2", "depends_on": [1]},
        {"step": 3, "agent": "a3", "depends_on": [2]},
    ],
}
with LocalEngine() as engine:
    print(engine.worker_id, flush=True)
    engine.run(definition, {"n": 1})
"""


def test_a_crashed_in_process_run_is_taken_over_by_a_worker(env: Env, tmp_path: Path) -> None:
    variables = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMIUM_DATABASE_URL": env.db.url,
        "OMIUM_DATA_DIR": str(tmp_path),
        "OMIUM_BLOB_URL": (tmp_path / "blobs").as_uri(),
        "OMIUM_AGENT_MODULES": "tests.engine.agents",
        "OMIUM_WORKER_LEASE_SECONDS": "1",
        "OMIUM_LOG_LEVEL": "warning",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CRASHING_RUN],
        cwd=ROOT,
        env=variables,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 137, proc.stderr
    crashed_worker = proc.stdout.strip()
    with UnitOfWork(env.db, read_only=True) as uow:
        row = uow.session.scalar(
            select(Execution).join(Tenant).where(Tenant.slug == LOCAL_TENANT_SLUG)
        )
        assert row is not None
        assert (row.status, row.lease_owner) == ("running", crashed_worker)
        tenant_id, execution_id = row.tenant_id, row.id
        assert row.lease_expires_at is not None
        lapse = (row.lease_expires_at - utcnow()).total_seconds()
    time.sleep(max(0.0, lapse) + 0.05)  # nobody renews the dead process's lease
    env.drain()
    done = env.executions.get(tenant_id, execution_id)
    assert done.status == "completed", done.error
    with UnitOfWork(env.db, read_only=True) as uow:
        attempts = uow.session.execute(
            select(StepAttempt.step, StepAttempt.worker_id, StepAttempt.status).where(
                StepAttempt.execution_id == execution_id
            )
        ).all()
    by_step = {(step, worker == crashed_worker, status) for step, worker, status in attempts}
    assert by_step == {
        (1, True, "completed"),
        (2, True, "interrupted"),
        (2, False, "completed"),
        (3, False, "completed"),
    }
    types = event_types(env.db, execution_id)
    assert types.count("execution_started") == 1
    assert types[-1] == "execution_completed"


def test_concurrent_claimed_starts_keep_the_tenant_limit_exact(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        uow.session.execute(
            update(Tenant).where(Tenant.id == env.tenant_id).values(max_concurrent_executions=2)
        )
        uow.commit()
    wf = env.workflow(linear(1))
    barrier = threading.Barrier(6)

    def start(owner: str) -> str:
        barrier.wait()
        ex, _ = env.executions.start_claimed(
            env.tenant_id,
            ExecutionCreate(workflow_id=wf, input_params={}),
            claims.LeaseRequest(owner, 60),
        )
        return ex.status

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(start, [f"w{i}" for i in range(6)]))
    assert statuses == ["pending"] * 4 + ["running"] * 2
    assert env.executions.count_running(env.tenant_id) == 2


def test_a_failed_transaction_commits_none_of_its_statements(env: Env) -> None:
    wf = env.workflow(linear(1))
    now = utcnow()

    def row(workflow_id: uuid.UUID) -> dict[str, object]:
        return {
            "id": uuid.uuid4(),
            "tenant_id": env.tenant_id,
            "workflow_id": workflow_id,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
        }

    good, orphan = row(wf), row(uuid.uuid4())  # no such workflow: a foreign key violation
    failure = (sqlite3.IntegrityError, psycopg.IntegrityError)
    with pytest.raises(failure), env.db.statements() as conn:
        driver.transaction(
            conn,
            [
                driver.insert_statement(conn.dialect, driver_table(), [good]),
                driver.insert_statement(conn.dialect, driver_table(), [orphan]),
            ],
        )
    with UnitOfWork(env.db, read_only=True) as uow:
        assert uow.session.get(Execution, good["id"]) is None
    # The pooled connection was left clean: the next transaction commits.
    with env.db.statements() as conn:
        driver.transaction(conn, [driver.insert_statement(conn.dialect, driver_table(), [good])])
    with UnitOfWork(env.db, read_only=True) as uow:
        assert uow.session.get(Execution, good["id"]) is not None


def driver_table() -> Table:
    return cast(Table, Execution.__table__)
