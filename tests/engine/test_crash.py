"""Crash and exclusivity: real worker processes killed with SIGKILL, and lease fencing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import func, select, update

from omium.engine import claims
from omium.engine.runner import Runner, RunResult
from omium.store.models import Checkpoint, Execution, StepAttempt
from omium.store.uow import UnitOfWork
from tests.engine import agents
from tests.engine.conftest import Env

ROOT = Path(__file__).resolve().parents[2]


def chain_workflow(steps: int) -> dict[str, Any]:
    return {
        "agents": [
            {"id": f"s{i}_agent", "config": {"handler": "chain"}} for i in range(1, steps + 1)
        ],
        "flow": [
            {
                "step": i,
                "agent": f"s{i}_agent",
                "inputs": ["n"] if i == 1 else [f"s{i - 1}"],
                "outputs": [f"s{i}"],
                "depends_on": [i - 1] if i > 1 else [],
            }
            for i in range(1, steps + 1)
        ],
    }


class Attempt(NamedTuple):
    execution_id: uuid.UUID
    step: int
    worker_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None


def check_attempt_history(env: Env, execution_ids: list[uuid.UUID]) -> int:
    """Per step: interrupted attempts (in flight at a kill), then exactly one completed.
    Per execution: an attempt of another worker starts only after the earlier one ended."""
    with UnitOfWork(env.db) as uow:
        rows = [
            Attempt(*r)
            for r in uow.session.execute(
                select(
                    StepAttempt.execution_id,
                    StepAttempt.step,
                    StepAttempt.worker_id,
                    StepAttempt.status,
                    StepAttempt.started_at,
                    StepAttempt.finished_at,
                )
                .where(StepAttempt.execution_id.in_(execution_ids))
                .order_by(StepAttempt.started_at)
            )
        ]
        dupes = uow.session.execute(
            select(Checkpoint.execution_id, Checkpoint.checkpoint_name, func.count())
            .where(Checkpoint.execution_id.in_(execution_ids), Checkpoint.superseded_at.is_(None))
            .group_by(Checkpoint.execution_id, Checkpoint.checkpoint_name)
            .having(func.count() > 1)
        ).all()
    assert dupes == []
    by_exec: dict[uuid.UUID, list[Attempt]] = {}
    for r in rows:
        by_exec.setdefault(r.execution_id, []).append(r)
    for attempts in by_exec.values():
        by_step: dict[int, list[str]] = {}
        for a in attempts:
            by_step.setdefault(a.step, []).append(a.status)
        for statuses in by_step.values():
            assert statuses[-1] == "completed", statuses
            assert set(statuses[:-1]) <= {"interrupted"}, statuses
        # A takeover happens only after the earlier owner's attempts were closed.
        for i, a in enumerate(attempts):
            for b in attempts[i + 1 :]:
                if b.worker_id != a.worker_id:
                    assert a.finished_at is not None and a.finished_at <= b.started_at
    return sum(1 for r in rows if r.status == "interrupted")


def spawn_worker(env_vars: dict[str, str], name: str, logs: Path) -> subprocess.Popen[bytes]:
    with (logs / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "omium", "worker", "--worker-id", name, "--concurrency", "4"],
            cwd=ROOT,
            env=env_vars,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.postgres_only
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkilled_workers_lose_nothing(env: Env, tmp_path: Path) -> None:
    wf = env.workflow(chain_workflow(6))
    reference = env.start(wf, n=5)
    env.drain()
    expected = env.executions.get(env.tenant_id, reference.id).result
    assert expected == {"n": 5, "s1": 6, "s2": 8, "s3": 11, "s4": 15, "s5": 20, "s6": 26}

    ids = [env.start(wf, n=5).id for _ in range(30)]
    env_vars = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMIUM_DATABASE_URL": env.db.url,
        "OMIUM_DATA_DIR": str(tmp_path),
        "OMIUM_BLOB_URL": (tmp_path / "blobs").as_uri(),
        "OMIUM_AGENT_MODULES": "tests.engine.agents",
        "OMIUM_WORKER_LEASE_SECONDS": "1.5",
        "OMIUM_WORKER_POLL_SECONDS": "0.1",
        "OMIUM_LOG_LEVEL": "warning",
    }
    rng = random.Random(1234)
    generation = 0
    workers = {}
    for slot in range(3):
        workers[slot] = spawn_worker(env_vars, f"w{slot}-g{generation}", tmp_path)
    kills = 0
    deadline = time.monotonic() + 240

    def remaining() -> int:
        with UnitOfWork(env.db, read_only=True) as uow:
            return int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(Execution)
                    .where(Execution.id.in_(ids), Execution.status != "completed")
                )
                or 0
            )

    names = {slot: f"w{slot}-g0" for slot in range(3)}

    def busy_slots() -> list[int]:
        # Kill workers while they run steps (an attempt of theirs is in flight).
        with UnitOfWork(env.db, read_only=True) as uow:
            owners = set(
                uow.session.scalars(
                    select(StepAttempt.worker_id).where(
                        StepAttempt.execution_id.in_(ids), StepAttempt.status == "running"
                    )
                )
            )
        return [slot for slot, name in names.items() if name in owners]

    try:
        while remaining() and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.2, 0.6))
            candidates = busy_slots() if kills < 10 else []
            if candidates:
                slot = rng.choice(candidates)
                workers[slot].send_signal(signal.SIGKILL)
                workers[slot].wait()
                kills += 1
                generation += 1
                names[slot] = f"w{slot}-g{generation}"
                workers[slot] = spawn_worker(env_vars, names[slot], tmp_path)
        assert remaining() == 0, "not every execution completed"
    finally:
        for p in workers.values():
            p.send_signal(signal.SIGTERM)
        for p in workers.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    assert kills >= 5
    for i in ids:
        got = env.executions.get(env.tenant_id, i)
        assert got.status == "completed" and got.result == expected
        assert got.checkpoint_count == 12
    # Some kills landed mid-step: those steps ran again, and only those.
    assert check_attempt_history(env, ids) >= 1


def test_a_worker_that_lost_its_lease_commits_nothing(env: Env) -> None:
    wf = chain_workflow(2)
    wf["agents"][0]["config"]["handler"] = "blocker"
    wf["flow"][0]["outputs"] = ["blocked"]
    wf["flow"][1]["inputs"] = ["n"]
    ex = env.start(env.workflow(wf), n=1)
    deps = env.engine.deps
    assert claims.claim(env.db, "A", limit=1, lease_seconds=30) == [(ex.id, env.tenant_id)]
    started = threading.Event()
    env.engine.bus.subscribe(lambda e: e.event_type == "step_started" and started.set())
    result_a: list[RunResult] = []
    runner_a = Runner(deps, env.tenant_id, ex.id, "A")
    thread = threading.Thread(target=lambda: result_a.append(asyncio.run(runner_a.run())))
    thread.start()
    assert started.wait(30)
    # A stalls (no heartbeat): its lease lapses and B takes over.
    with UnitOfWork(env.db) as uow:
        uow.session.execute(
            update(Execution)
            .where(Execution.id == ex.id)
            .values(lease_expires_at=Execution.__table__.c.heartbeat_at)
        )
        uow.commit()
    assert claims.claim(env.db, "B", limit=1, lease_seconds=30) == [(ex.id, env.tenant_id)]
    agents.gate.set()
    thread.join(30)
    assert result_a[0].status == "lost"
    result_b = asyncio.run(Runner(deps, env.tenant_id, ex.id, "B").run())
    assert result_b.status == "completed"
    got = env.executions.get(env.tenant_id, ex.id)
    assert got.status == "completed" and got.result == {"n": 1, "blocked": False, "s2": 3}
    check_attempt_history(env, [ex.id])
    with UnitOfWork(env.db) as uow:
        workers = list(
            uow.session.execute(
                select(StepAttempt.worker_id, StepAttempt.status)
                .where(StepAttempt.execution_id == ex.id)
                .order_by(StepAttempt.started_at)
            )
        )
    assert [tuple(w) for w in workers] == [
        ("A", "interrupted"),
        ("B", "completed"),
        ("B", "completed"),
    ]
