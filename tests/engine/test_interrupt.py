"""Cancel and timeout reach a running sync agent: its thread is interrupted, its late result
is dropped, and nothing is written after the step was recorded cancelled or timed out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from omium.agents import AgentInterrupted
from omium.agents.threads import AgentCall, AgentThreads
from omium.store.models import Agent, Checkpoint, Execution, ExecutionEvent, Failure, StepAttempt
from omium.store.uow import UnitOfWork
from tests.engine import agents
from tests.engine.conftest import Env, linear
from tests.engine.test_control import worker_thread
from tests.engine.test_crash import ROOT, spawn_worker

WAIT_S = 30


def one_step(handler: str, **config: Any) -> dict[str, Any]:
    wf = linear(2, **config)
    wf["agents"][0]["config"]["handler"] = handler
    wf["policies"] = {"max_retries": 0, "backoff_base_ms": 1}
    return wf


def snapshot(env: Env, execution_id: uuid.UUID) -> dict[str, Any]:
    """Every row the engine writes for an execution, in a comparable form."""
    with UnitOfWork(env.db, read_only=True) as uow:
        s = uow.session

        def count(model: Any) -> int:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.execution_id == execution_id)
                )
                or 0
            )

        ex = s.get(Execution, execution_id)
        assert ex is not None
        return {
            "execution": (ex.status, ex.result, ex.output, ex.error, ex.checkpoint_count),
            "checkpoints": sorted(
                s.scalars(
                    select(Checkpoint.checkpoint_name).where(
                        Checkpoint.execution_id == execution_id
                    )
                )
            ),
            "agents": sorted(
                (a.name, a.status, a.error, str(a.output))
                for a in s.scalars(select(Agent).where(Agent.execution_id == execution_id))
            ),
            "attempts": sorted(
                s.scalars(
                    select(StepAttempt.status).where(StepAttempt.execution_id == execution_id)
                )
            ),
            "failures": count(Failure),
            "events": count(ExecutionEvent),
        }


def test_cancel_interrupts_a_sync_agent_in_a_python_loop(env: Env) -> None:
    ex = env.start(env.workflow(one_step("spin")))
    with worker_thread(env):
        assert agents.probe.entered.wait(WAIT_S)
        env.executions.cancel(env.tenant_id, ex.id)
        at_cancel = snapshot(env, ex.id)
        assert agents.probe.left.wait(WAIT_S), "the agent's thread kept running"
    assert agents.probe.outcome == ["interrupted"]
    after = snapshot(env, ex.id)
    assert after == at_cancel
    assert after["execution"][0] == "cancelled"
    assert after["checkpoints"] == ["a1_start"]
    assert after["attempts"] == ["cancelled"]
    assert ("a1", "failed", "cancelled", "None") in after["agents"]


def test_an_agent_that_swallows_the_interrupt_gets_it_again(env: Env) -> None:
    ex = env.start(env.workflow(one_step("stubborn")))
    with worker_thread(env):
        assert agents.probe.entered.wait(WAIT_S)
        env.executions.cancel(env.tenant_id, ex.id)
        assert agents.probe.left.wait(WAIT_S)
    assert agents.probe.outcome == ["swallowed", "swallowed", "swallowed", "interrupted"]
    assert snapshot(env, ex.id)["checkpoints"] == ["a1_start"]


def test_ctx_sleep_ends_when_the_step_is_cancelled(env: Env) -> None:
    ex = env.start(env.workflow(one_step("polite")))
    with worker_thread(env):
        assert agents.probe.entered.wait(WAIT_S)
        env.executions.cancel(env.tenant_id, ex.id)
        assert agents.probe.left.wait(WAIT_S)
    # Woken by the cancel event (AgentCancelled) or by the asynchronous raise, never by the
    # end of its 60 s sleep.
    assert agents.probe.outcome in (["cancelled"], ["interrupted"])
    assert snapshot(env, ex.id)["execution"][0] == "cancelled"


def test_a_sync_agent_past_its_timeout_is_interrupted_and_recorded_as_a_timeout(
    env: Env,
) -> None:
    wf = one_step("spin", recovery_policies={"timeout_ms": 1000})
    ex = env.start(env.workflow(wf))
    env.drain()
    got = env.executions.get(env.tenant_id, ex.id)
    assert got.status == "failed"
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.failure_type == "timeout" and "1000 ms" in f.error_message
    assert agents.probe.left.wait(WAIT_S), "the timed-out agent's thread kept running"
    assert agents.probe.outcome == ["interrupted"]


def test_a_timed_out_agent_blocked_in_c_is_not_waited_for_and_its_late_result_is_dropped(
    env: Env,
) -> None:
    wf = one_step("stuck", recovery_policies={"timeout_ms": 1000})
    ex = env.start(env.workflow(wf))
    env.drain()  # returns although the agent's thread is still blocked
    assert agents.probe.entered.is_set() and not agents.probe.left.is_set()
    recorded = snapshot(env, ex.id)
    assert recorded["execution"][0] == "failed"
    assert "a1_complete" not in recorded["checkpoints"]
    agents.stuck_gate.set()  # the C call returns; the pending interrupt fires right after
    assert agents.probe.left.wait(WAIT_S)
    assert agents.probe.outcome == ["interrupted"]
    assert snapshot(env, ex.id) == recorded


def test_cancel_reaches_a_sync_agent_in_another_worker_process(env: Env, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    ex = env.start(env.workflow(one_step("spin_marked")), marks=str(marks))
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
    worker = spawn_worker(env_vars, "interrupt-w", tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (marks / "entered").exists():
            assert worker.poll() is None, (tmp_path / "interrupt-w.log").read_text()
            assert time.monotonic() < deadline, "the worker never started the agent"
            time.sleep(0.05)
        assert int((marks / "entered").read_text()) == worker.pid
        # Cancelled from this process: the worker learns it at its next heartbeat.
        env.executions.cancel(env.tenant_id, ex.id)
        at_cancel = snapshot(env, ex.id)
        # Until the agent has written its outcome (the file exists as soon as it is opened).
        while not ((marks / "left").exists() and (marks / "left").read_text()):
            assert worker.poll() is None, (tmp_path / "interrupt-w.log").read_text()
            assert time.monotonic() < deadline, "the agent's thread kept running"
            time.sleep(0.05)
        assert (marks / "left").read_text() == "interrupted"
        assert worker.poll() is None  # the worker lives on
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, (tmp_path / "interrupt-w.log").read_text()
    after = snapshot(env, ex.id)
    assert after == at_cancel
    assert after["execution"][0] == "cancelled" and after["checkpoints"] == ["a1_start"]


def test_an_interrupt_never_lands_after_the_agent_returned() -> None:
    """Interrupting a call whose agent already returned raises nothing in the pool thread,
    which goes on to run the next agent normally."""
    import asyncio

    pool = AgentThreads()
    ran: list[str] = []

    def quick(tag: str) -> str:
        ran.append(tag)
        return tag

    async def scenario() -> list[Any]:
        loop = asyncio.get_running_loop()
        first = AgentCall(quick, "first", threading.Event(), loop)
        pool.submit(first)
        assert await first.future == "first"
        assert first.finished.wait(WAIT_S)
        first.interrupt()  # too late: must be a no-op
        second = AgentCall(quick, "second", threading.Event(), loop)
        pool.submit(second)
        return [await second.future]

    assert asyncio.run(scenario()) == ["second"]
    assert ran == ["first", "second"]


def test_an_interrupt_before_the_agent_starts_skips_it() -> None:
    import asyncio

    pool = AgentThreads()
    ran: list[str] = []
    stop = threading.Event()

    async def scenario() -> None:
        call = AgentCall(ran.append, "x", stop, asyncio.get_running_loop())
        call.interrupt()
        pool.submit(call)
        with pytest.raises(AgentInterrupted):
            await call.future
        assert stop.is_set()

    asyncio.run(scenario())
    assert ran == []


# A script run in a child process, so that a hang fails the test instead of the suite: sync
# agents run (some interrupted while they swallow the interrupt, some cancelled at random
# moments, most returning normally), then the main thread is profiled, as cProfile does.
# Before the fix, leaving an agent cleared the thread's pending exception with
# PyThreadState_SetAsyncExc(id, NULL), which left CPython's eval breaker on: on 3.11 the next
# profiled function entry spun forever (the engine benchmark hung under cProfile).
_PROFILED_AFTER_AGENTS = """
import asyncio, logging, random, sys, threading
from omium.agents import AgentInterrupted
from omium.agents.threads import AgentCall, AgentThreads, run_sync_agent

errors = []
class Collect(logging.Handler):
    def emit(self, record):
        errors.append(record.getMessage())
logging.getLogger("omium.agents.threads").addHandler(Collect())

def quick(tag):
    return tag

def stubborn(stop):
    swallowed = 0
    while swallowed < 3:
        try:
            while True:
                pass
        except AgentInterrupted:
            swallowed += 1
    return "late"

def busy(n):
    total = 0
    for i in range(n):
        total += i
    return total

async def scenario():
    loop = asyncio.get_running_loop()
    assert await run_sync_agent(quick, "plain", threading.Event()) == "plain"
    pool = AgentThreads()
    call = AgentCall(stubborn, None, threading.Event(), loop)
    pool.submit(call)
    await asyncio.sleep(0.05)
    call.interrupt()
    assert call.finished.wait(30)
    assert await call.future == "late"
    rng = random.Random(7)
    for _ in range(MODE_RUNS):
        agent = run_sync_agent(busy, rng.randrange(1, 20000), threading.Event())
        task = asyncio.ensure_future(agent)
        if rng.random() < 0.5:
            await asyncio.sleep(rng.random() / 1000)
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    for i in range(20):
        assert await run_sync_agent(quick, i, threading.Event()) == i

asyncio.run(scenario())
def profiled():
    return 1
sys.setprofile(lambda *args: None)
for _ in range(1000):
    profiled()
sys.setprofile(None)
assert not errors, errors
print("done")
"""


@pytest.mark.parametrize("runs", [0, 300])
def test_a_profiled_thread_runs_on_after_sync_agents_were_interrupted(runs: int) -> None:
    """No interrupt outlives its agent call, and none leaves the interpreter in a state where
    a profiler or tracer (cProfile, coverage, a debugger) hangs a thread."""
    script = _PROFILED_AFTER_AGENTS.replace("MODE_RUNS", str(runs))
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the profiled thread hung after sync agents ran")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
