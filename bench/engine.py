"""Engine benchmark: Omium vs LangGraph vs DBOS on a 10-step workflow of no-op steps.

One run measures, side by side and interleaved round-robin (so machine noise hits all alike):

- Omium on SQLite and PostgreSQL: a 10-step workflow of no-op ``custom`` agents, each step
  durable (``{agent}_start`` + ``{agent}_complete`` checkpoints, attempts, events, status),
  started, claimed and run by the real runner (the worker path); and the same workflow
  through ``omium.LocalEngine.run`` (in-process: started and claimed in one transaction,
  the execution read back at the end).
- LangGraph: the same 10 no-op nodes, ``SqliteSaver`` / ``PostgresSaver``, durability "sync",
  and without a checkpointer (the framework's own cost).
- DBOS: a workflow of 10 no-op steps on PostgreSQL and SQLite (each in a child process: DBOS is
  one instance per process).

- Floor: the rows one Omium run commits (recorded from a real run), replayed with the bare
  driver in the same transactions, no framework (bench/write_floor.py): what those records
  cost to commit on this machine.

State: 1 KB of input. Reported: median wall time per 10-step run, per step, steps per second,
and the ratio to Omium. Then the takeover: a real ``omium worker`` running an execution is
SIGKILLed; the time until a second worker runs its next step is measured.

    pip install -e ".[bench]"
    python bench/engine.py --pg postgresql://postgres@127.0.0.1:5432/postgres --runs 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
STEPS = 10
PAYLOAD = {"blob": "x" * 1000}

Runner = Callable[[], None]


# ---------------------------------------------------------------------------- databases


def create_db(admin_url: str, prefix: str) -> str:
    admin = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return (
        admin.set(database=name)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg://", "postgresql://", 1)
    )


def drop_db(url: str) -> None:
    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


# ---------------------------------------------------------------------------- contenders


def omium_runner(database_url: str, data_dir: Path) -> tuple[Runner, Callable[[], None]]:
    import bench_agents  # noqa: F401  (registers "bench_noop")

    from omium.bootstrap import build_runtime
    from omium.config import Settings
    from omium.engine import build_engine, claims
    from omium.engine.inline import _local_principal
    from omium.engine.runner import Runner as StepRunner
    from omium.schemas.executions import ExecutionCreate
    from omium.schemas.workflows import WorkflowCreate
    from omium.services.executions import ExecutionService
    from omium.services.workflows import WorkflowService
    from omium.store.uow import UnitOfWork

    settings = Settings(data_dir=data_dir, database_url=database_url)
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    with UnitOfWork(runtime.db) as uow:
        tenant_id, user_id = _local_principal(uow)
        uow.commit()
    definition = {
        "agents": [{"id": f"a{i}", "config": {"handler": "bench_noop"}} for i in range(STEPS)],
        "flow": [
            {"step": i, "agent": f"a{i}", "depends_on": [i - 1] if i else []} for i in range(STEPS)
        ],
    }
    wf = WorkflowService(runtime.db).create(
        tenant_id, WorkflowCreate(name="bench", definition=definition), created_by=user_id
    )
    executions = ExecutionService(runtime.db, engine.deps.checkpoints, engine.bus)
    loop = asyncio.new_event_loop()

    def run() -> None:
        ex = executions.start(tenant_id, ExecutionCreate(workflow_id=wf.id, input_params=PAYLOAD))
        claims.claim(runtime.db, "bench", limit=1, lease_seconds=60, execution_id=ex.id)
        result = loop.run_until_complete(StepRunner(engine.deps, tenant_id, ex.id, "bench").run())
        assert result.status == "completed", result

    def close() -> None:
        loop.close()
        engine.close()
        runtime.close()

    return run, close


def omium_inprocess_runner(database_url: str, data_dir: Path) -> tuple[Runner, Callable[[], None]]:
    """The same workflow through ``omium.LocalEngine``: built once, then ``.run`` per run
    (started and claimed in one transaction, run in this process, the execution read back)."""
    import bench_agents  # noqa: F401

    from omium.config import Settings
    from omium.engine.inline import LocalEngine

    engine = LocalEngine(Settings(data_dir=data_dir, database_url=database_url))
    definition = {
        "agents": [{"id": f"a{i}", "config": {"handler": "bench_noop"}} for i in range(STEPS)],
        "flow": [
            {"step": i, "agent": f"a{i}", "depends_on": [i - 1] if i else []} for i in range(STEPS)
        ],
    }

    def run() -> None:
        ex = engine.run(definition, PAYLOAD)
        assert ex.status == "completed", ex

    return run, engine.close


def _graph(checkpointer: Any) -> Any:
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        blob: str

    def noop(state: State) -> dict[str, Any]:
        return {}

    g = StateGraph(State)
    for i in range(STEPS):
        g.add_node(f"n{i}", noop)
        g.add_edge(START if i == 0 else f"n{i - 1}", f"n{i}")
    g.add_edge(f"n{STEPS - 1}", END)
    return g.compile(checkpointer=checkpointer)


def langgraph_runner(kind: str, target: str | None) -> tuple[Runner, Callable[[], None]]:
    closers: list[Callable[[], None]] = []
    if kind == "none":
        graph = _graph(None)
    elif kind == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        assert target
        conn = sqlite3.connect(target, check_same_thread=False)
        saver = SqliteSaver(conn)
        saver.setup()
        graph = _graph(saver)
        closers.append(conn.close)
    else:
        from langgraph.checkpoint.postgres import PostgresSaver

        assert target
        cm = PostgresSaver.from_conn_string(target)
        saver = cm.__enter__()
        saver.setup()
        graph = _graph(saver)
        closers.append(lambda: cm.__exit__(None, None, None))

    def run() -> None:
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        if kind == "none":
            graph.invoke(dict(PAYLOAD))
        else:
            graph.invoke(dict(PAYLOAD), config, durability="sync")

    def close() -> None:
        for c in closers:
            c()

    return run, close


DBOS_CHILD = """
import json, sys, time, statistics
from dbos import DBOS
DBOS(config={"name": "omium-bench", "system_database_url": sys.argv[1],
             "log_level": "ERROR", "console_log_level": "ERROR"})

@DBOS.step()
def noop(i):
    return None

@DBOS.workflow()
def wf(payload):
    for i in range(10):
        noop(i)
    return len(payload)

DBOS.launch()
runs = int(sys.argv[2])
payload = "x" * 1000
for _ in range(3):
    wf(payload)
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    wf(payload)
    times.append(time.perf_counter() - t0)
DBOS.destroy()
print(json.dumps(times))
"""


def dbos_times(system_url: str, runs: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", DBOS_CHILD, system_url, str(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------- takeover


def takeover(pg_url: str, tmp: Path, lease: float) -> dict[str, float]:
    """SIGKILL a worker mid-execution; time until another worker runs the next step."""
    import bench_agents  # noqa: F401

    from omium.bootstrap import build_runtime
    from omium.config import Settings
    from omium.engine import build_engine
    from omium.engine.inline import _local_principal
    from omium.schemas.executions import ExecutionCreate
    from omium.schemas.workflows import WorkflowCreate
    from omium.services.executions import ExecutionService
    from omium.services.workflows import WorkflowService
    from omium.store.uow import UnitOfWork

    settings = Settings(data_dir=tmp, database_url=pg_url, worker_lease_seconds=lease)
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    with UnitOfWork(runtime.db) as uow:
        tenant_id, user_id = _local_principal(uow)
        uow.commit()
    definition = {
        "agents": [{"id": f"t{i}", "config": {"handler": "bench_sleep"}} for i in range(STEPS)],
        "flow": [
            {"step": i, "agent": f"t{i}", "depends_on": [i - 1] if i else []} for i in range(STEPS)
        ],
    }
    wf = WorkflowService(runtime.db).create(
        tenant_id,
        WorkflowCreate(name=f"takeover-{uuid.uuid4().hex[:6]}", definition=definition),
        created_by=user_id,
    )
    executions = ExecutionService(runtime.db, engine.deps.checkpoints, engine.bus)
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "OMIUM_DATABASE_URL": pg_url,
        "OMIUM_DATA_DIR": str(tmp),
        "OMIUM_AGENT_MODULES": "bench_agents",
        "OMIUM_WORKER_LEASE_SECONDS": str(lease),
        "OMIUM_WORKER_POLL_SECONDS": "0.1",
        "OMIUM_LOG_LEVEL": "warning",
    }

    def spawn(name: str) -> subprocess.Popen[bytes]:
        with (tmp / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "omium", "worker", "--worker-id", name],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def wait_ready(name: str) -> None:
        # The worker prints its banner right before it starts claiming.
        while b"Omium worker" not in (tmp / f"{name}.log").read_bytes():
            time.sleep(0.05)

    def running_by(execution_id: uuid.UUID, worker: str) -> bool:
        with UnitOfWork(runtime.db, read_only=True) as uow:
            return bool(
                uow.session.scalar(
                    text(
                        "SELECT count(*) FROM step_attempts"
                        " WHERE execution_id = :e AND worker_id = :w"
                    ),
                    {"e": execution_id, "w": worker},
                )
            )

    def owner(execution_id: uuid.UUID) -> str | None:
        with UnitOfWork(runtime.db, read_only=True) as uow:
            found = uow.session.scalar(
                text("SELECT lease_owner FROM executions WHERE id = :e"), {"e": execution_id}
            )
            return str(found) if found else None

    results: dict[str, float] = {}
    procs = {"bench-A": spawn("bench-A"), "bench-B": spawn("bench-B")}
    for name in procs:
        wait_ready(name)
    ex = executions.start(tenant_id, ExecutionCreate(workflow_id=wf.id, input_params={}))
    victim = None
    while victim is None or not running_by(ex.id, victim):
        victim = owner(ex.id)
        time.sleep(0.01)
    survivor = next(n for n in procs if n != victim)
    time.sleep(1.0)  # the victim is in the middle of a step
    procs[victim].send_signal(signal.SIGKILL)
    killed = time.perf_counter()
    procs[victim].wait()
    while not running_by(ex.id, survivor):
        time.sleep(0.005)
    results["kill_to_running_elsewhere_s"] = time.perf_counter() - killed
    while executions.get(tenant_id, ex.id).status != "completed":
        time.sleep(0.02)
    results["kill_to_done_s"] = time.perf_counter() - killed
    results["lease_s"] = lease
    procs[survivor].send_signal(signal.SIGTERM)
    procs[survivor].wait(30)
    engine.close()
    runtime.close()
    return results


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("OMIUM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--skip", default="", help="comma list: dbos,langgraph,floor,takeover")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    tmp = Path(tempfile.mkdtemp(prefix="omium-bench-"))
    created: list[str] = []
    contenders: dict[str, tuple[Runner, Callable[[], None]]] = {}
    try:
        pg_omium = create_db(args.pg, "omium_bench")
        created.append(pg_omium)
        pg_inprocess = create_db(args.pg, "omium_inprocess")
        created.append(pg_inprocess)
        contenders["omium sqlite"] = omium_runner(f"sqlite:///{tmp / 'omium.db'}", tmp / "o1")
        contenders["omium postgres"] = omium_runner(pg_omium, tmp / "o2")
        contenders["omium in-process sqlite"] = omium_inprocess_runner(
            f"sqlite:///{tmp / 'omium-inprocess.db'}", tmp / "o3"
        )
        contenders["omium in-process postgres"] = omium_inprocess_runner(pg_inprocess, tmp / "o4")
        if "floor" not in skip:
            import write_floor

            pg_floor = create_db(args.pg, "omium_floor")
            created.append(pg_floor)
            contenders["floor sqlite"] = write_floor.floor_runner(
                omium_runner, f"sqlite:///{tmp / 'floor.db'}", tmp / "f1"
            )
            contenders["floor postgres"] = write_floor.floor_runner(
                omium_runner, pg_floor, tmp / "f2"
            )
        if "langgraph" not in skip:
            pg_lg = create_db(args.pg, "lg_bench")
            created.append(pg_lg)
            contenders["langgraph (no saver)"] = langgraph_runner("none", None)
            contenders["langgraph sqlite"] = langgraph_runner("sqlite", str(tmp / "lg.db"))
            contenders["langgraph postgres"] = langgraph_runner("pg", pg_lg)
        times: dict[str, list[float]] = {k: [] for k in contenders}
        for _ in range(3):
            for run, _close in contenders.values():
                run()
        for _ in range(args.runs):
            for name, (run, _close) in contenders.items():
                t0 = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t0)
        for _run, close in contenders.values():
            close()
        if "dbos" not in skip:
            pg_dbos = create_db(args.pg, "dbos_bench")
            created.append(pg_dbos)
            times["dbos postgres"] = dbos_times(pg_dbos, args.runs)
            times["dbos sqlite"] = dbos_times(f"sqlite:///{tmp / 'dbos.db'}", args.runs)
        base = statistics.median(times["omium postgres"])
        print(
            f"\n10 no-op steps, 1 KB state, {args.runs} runs each, medians "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        # One base for every line: Omium's worker path on PostgreSQL (start, claim, run).
        print(f"{'':26} {'ms/run':>9} {'ms/step':>9} {'steps/s':>9} {'vs omium pg':>12}")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(
                f"{name:26} {med * 1000:9.2f} {med * 100:9.3f} {STEPS / med:9.0f} "
                f"{med / base:11.2f}x"
            )
        print("(vs omium pg: time / the 'omium postgres' line, the worker path; <1 is faster)")
        if "takeover" not in skip:
            pg_take = create_db(args.pg, "omium_takeover")
            created.append(pg_take)
            result = takeover(pg_take, tmp / "take", args.lease)
            print(
                f"\ntakeover (lease {result['lease_s']:.1f} s): SIGKILL -> running on another "
                f"worker {result['kill_to_running_elsewhere_s']:.2f} s, -> execution done "
                f"{result['kill_to_done_s']:.2f} s"
            )
    finally:
        for url in created:
            drop_db(url)


if __name__ == "__main__":
    main()
