"""Checkpoint benchmark: Omium against LangGraph's SqliteSaver and PostgresSaver.

One run measures, for states of 1 KB, 100 KB and 1 MB, the per-checkpoint latency (median
and p99) and the bytes stored per 10-step execution, on SQLite and PostgreSQL, for Omium and
for LangGraph's savers doing the same 10 steps of the same data; then the ratios, and the
machine's floor (one fsync'd 1 KB write, one SQLite FULL commit, one PostgreSQL
INSERT+COMMIT, one PostgreSQL autocommitted INSERT).

The workload: a state of ten top-level keys, each a small JSON object carrying text of a
tenth of the state's size. Step 0 writes the whole state; each later step replaces one key.
"Bytes changed" is the canonical JSON size of the first state plus that of every replaced
value.

Both systems are told which keys a step changed, as a graph runtime knows them: LangGraph's
``put`` gets ``new_versions`` (only the channels whose version moved) and PostgresSaver writes
blobs for those channels only (SqliteSaver serializes the whole checkpoint anyway); Omium's
``create`` gets ``changed_keys`` and serializes and hashes only those keys, reusing the parts
of the execution's previous checkpoint for the others (it still writes a complete manifest and
checksum of the whole state, and re-checks that the reused parts are stored).

Every checkpoint is durable when the call returns: Omium commits with SQLite
``synchronous=FULL`` (WAL) or PostgreSQL ``synchronous_commit=on``; the LangGraph savers run
with the same settings and are called synchronously, as ``durability="sync"`` does. Only
``put`` is timed for LangGraph (a real graph step also calls ``put_writes``): a lower bound
of its cost.

    pip install -e ".[dev,bench]"
    python bench/checkpoints.py --pg-url postgresql://postgres@127.0.0.1:5432/postgres

The PostgreSQL URL must allow CREATE DATABASE: the benchmark creates its own databases and
drops them at the end. Without ``--pg-url`` only SQLite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omium.config import normalize_database_url
from omium.services.checkpoints import CheckpointService
from omium.store.blobs import FileBlobStore
from omium.store.db import Database
from omium.store.migrate import upgrade
from omium.store.models import Execution, Tenant, User, Workflow
from omium.store.state_codec import canonical_json
from omium.types import CompressionType

SIZES = {"1KB": 1024, "100KB": 100 * 1024, "1MB": 1024 * 1024}
RUNS = {"1KB": 30, "100KB": 10, "1MB": 4}
STEPS = 10
KEYS = 10
WORDS = (
    "customer",
    "verified",
    "offer",
    "apr",
    "score",
    "document",
    "policy",
    "agent",
    "handoff",
    "review",
    "risk",
    "income",
    "address",
    "passport",
    "loan",
    "term",
    "rate",
    "approve",
    "decline",
    "escalate",
    "summary",
    "note",
    "the",
    "a",
    "of",
    "and",
)


# ------------------------------------------------------------------------ workload


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    total = 0
    while total < size:
        word = rng.choice(WORDS)
        out.append(word)
        total += len(word) + 1
    return " ".join(out)[:size]


def _value(rng: random.Random, size: int, version: int) -> dict[str, Any]:
    return {"version": version, "text": _text(rng, max(size - 30, 1))}


@dataclass
class Run:
    """The ten states of one execution and the bytes they changed."""

    states: list[dict[str, Any]]
    changed_keys: list[list[str]]
    changed_bytes: int


def make_run(size: int, seed: int) -> Run:
    rng = random.Random(seed)
    per_key = size // KEYS
    state = {f"key_{k}": _value(rng, per_key, 0) for k in range(KEYS)}
    states = [state]
    changed_keys = [list(state)]
    changed = len(canonical_json(state))
    for step in range(1, STEPS):
        key = f"key_{(step - 1) % KEYS}"
        state = {**state, key: _value(rng, per_key, step)}
        states.append(state)
        changed_keys.append([key])
        changed += len(canonical_json(state[key]))
    return Run(states, changed_keys, changed)


# ------------------------------------------------------------------------- systems


class System:
    name = ""
    database = ""

    def start_run(self, run_id: int) -> None: ...

    def checkpoint(self, step: int, state: dict[str, Any], changed: list[str]) -> None: ...

    def row_bytes(self) -> int: ...

    def disk_bytes(self) -> int: ...

    def close(self) -> None: ...


def _sqlite_row_bytes(path: Path, tables: list[str]) -> int:
    conn = sqlite3.connect(path)
    try:
        total = 0
        for table in tables:
            cols = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            expr = " + ".join(f"coalesce(length(CAST({c} AS BLOB)), 0)" for c in cols)
            total += int(
                conn.execute(f"SELECT coalesce(sum({expr}), 0) FROM {table}").fetchone()[0]
            )
        return total
    finally:
        conn.close()


def _sqlite_disk_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def _pg_sizes(url: str, tables: list[str]) -> tuple[int, int]:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            rows = sum(
                int(
                    conn.execute(
                        text(f"SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {t} t")
                    ).scalar_one()
                )
                for t in tables
            )
            disk = sum(
                int(conn.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar_one())
                for t in tables
            )
        return rows, disk
    finally:
        engine.dispose()


class OmiumSystem(System):
    def __init__(self, url: str, workdir: Path, database: str) -> None:
        self.name = "omium"
        self.database = database
        self.url = url
        self.blob_root = workdir / "blobs"
        self.db = Database(url)
        upgrade(self.db.engine)
        self.service = CheckpointService(
            FileBlobStore(self.blob_root), compression=CompressionType.ZSTD
        )
        with self.db.session() as session:
            tenant = Tenant(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
            session.add(tenant)
            session.flush()
            user = User(tenant_id=tenant.id, email=f"{uuid.uuid4().hex[:8]}@bench.local")
            session.add(user)
            session.flush()
            workflow = Workflow(
                tenant_id=tenant.id, created_by=user.id, name="bench", definition={}
            )
            session.add(workflow)
            session.commit()
            self.tenant_id, self.workflow_id = tenant.id, workflow.id
        self._baseline = self._sizes()

    def start_run(self, run_id: int) -> None:
        with self.db.session() as session:
            execution = Execution(
                tenant_id=self.tenant_id, workflow_id=self.workflow_id, status="running"
            )
            session.add(execution)
            session.commit()
            self.execution_id = execution.id

    def checkpoint(self, step: int, state: dict[str, Any], changed: list[str]) -> None:
        # A standalone checkpoint, committed when the call returns (as LangGraph's put).
        self.service.create_committed(
            self.db,
            self.tenant_id,
            self.execution_id,
            f"step_{step}",
            state,
            changed_keys=changed,
        )

    def _blob_bytes(self) -> int:
        return sum(info.size for info in FileBlobStore(self.blob_root).list())

    def _sizes(self) -> tuple[int, int]:
        tables = ["checkpoints", "checkpoint_blobs"]
        if self.database == "sqlite":
            path = Path(make_url(self.url).database or "")
            return _sqlite_row_bytes(path, tables), _sqlite_disk_bytes(path)
        return _pg_sizes(self.url, tables)

    def row_bytes(self) -> int:
        return self._sizes()[0] - self._baseline[0] + self._blob_bytes()

    def disk_bytes(self) -> int:
        return self._sizes()[1] - self._baseline[1] + self._blob_bytes()

    def close(self) -> None:
        self.service.close()
        self.db.dispose()


class LangGraphSystem(System):
    def __init__(self, saver: Any, database: str, sizes: Callable[[], tuple[int, int]]) -> None:
        from langgraph.checkpoint.base import empty_checkpoint
        from langgraph.checkpoint.base.id import uuid6

        self.name = "langgraph"
        self.database = database
        self.saver = saver
        self._sizes = sizes
        self._empty = empty_checkpoint
        self._uuid6 = uuid6
        self._baseline = sizes()

    def start_run(self, run_id: int) -> None:
        self.config: dict[str, Any] = {
            "configurable": {"thread_id": f"run-{uuid.uuid4().hex}", "checkpoint_ns": ""}
        }
        self.versions: dict[str, Any] = {}

    def checkpoint(self, step: int, state: dict[str, Any], changed: list[str]) -> None:
        new_versions = {}
        for key in changed:
            new_versions[key] = self.saver.get_next_version(self.versions.get(key), None)
        self.versions.update(new_versions)
        checkpoint = self._empty()
        checkpoint["id"] = str(self._uuid6(clock_seq=step))
        checkpoint["ts"] = datetime.now(UTC).isoformat()
        checkpoint["channel_values"] = dict(state)
        checkpoint["channel_versions"] = dict(self.versions)
        metadata = {"source": "loop", "step": step, "parents": {}}
        self.config = self.saver.put(self.config, checkpoint, metadata, new_versions)

    def row_bytes(self) -> int:
        return self._sizes()[0] - self._baseline[0]

    def disk_bytes(self) -> int:
        return self._sizes()[1] - self._baseline[1]


@contextmanager
def langgraph_sqlite(workdir: Path) -> Iterator[LangGraphSystem]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = workdir / "langgraph.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()  # journal_mode=WAL
    conn.execute("PRAGMA synchronous=FULL")  # the same durability as Omium's
    tables = ["checkpoints", "writes"]
    try:
        yield LangGraphSystem(
            saver, "sqlite", lambda: (_sqlite_row_bytes(path, tables), _sqlite_disk_bytes(path))
        )
    finally:
        conn.close()


@contextmanager
def langgraph_postgres(url: str) -> Iterator[LangGraphSystem]:
    from langgraph.checkpoint.postgres import PostgresSaver

    plain = make_url(normalize_database_url(url)).set(drivername="postgresql")
    conn_string = plain.render_as_string(hide_password=False)
    with PostgresSaver.from_conn_string(conn_string) as saver:
        saver.setup()
        tables = ["checkpoints", "checkpoint_blobs", "checkpoint_writes"]
        yield LangGraphSystem(saver, "postgresql", lambda: _pg_sizes(url, tables))


# --------------------------------------------------------------------------- floors


def floor_fsync(workdir: Path, n: int = 200) -> float:
    times = []
    payload = os.urandom(1024)
    for i in range(n):
        path = workdir / f"floor_{i}"
        start = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, payload)
        os.fsync(fd)
        os.close(fd)
        times.append(time.perf_counter() - start)
        path.unlink()
    return statistics.median(times)


def floor_sqlite(workdir: Path, n: int = 200) -> float:
    conn = sqlite3.connect(workdir / "floor.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, data BLOB)")
    payload = os.urandom(1024)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO floor (data) VALUES (?)", (payload,))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return statistics.median(times)


def floor_postgres(url: str, n: int = 200, *, autocommit: bool = False) -> float:
    """One 1 KB INSERT and its commit: BEGIN, INSERT, COMMIT (three round trips), or with
    ``autocommit`` the INSERT alone, its own transaction (one round trip: the true floor of
    a durable row)."""
    import psycopg

    plain = make_url(normalize_database_url(url)).set(drivername="postgresql")
    payload = os.urandom(1024)
    table = "floor_autocommit" if autocommit else "floor"
    with psycopg.connect(plain.render_as_string(hide_password=False)) as conn:
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, data bytea)")
        conn.commit()
        conn.autocommit = autocommit
        times = []
        for _ in range(n):
            start = time.perf_counter()
            conn.execute(f"INSERT INTO {table} (data) VALUES (%s)", (payload,))
            if not autocommit:
                conn.commit()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------------------- run


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    row_bytes: int = 0
    disk_bytes: int = 0
    changed_bytes: int = 0
    runs: int = 0

    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000


def create_database(admin_url: str, prefix: str) -> str:
    admin = make_url(normalize_database_url(admin_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def bench_size(label: str, systems: list[System], runs: int) -> dict[tuple[str, str], Result]:
    results = {(s.name, s.database): Result() for s in systems}
    size = SIZES[label]
    # Warm-up run, not measured (connections, prepared statements, caches).
    warm = make_run(size, seed=10_000)
    for system in systems:
        system.start_run(-1)
        for step, state in enumerate(warm.states):
            system.checkpoint(step, state, warm.changed_keys[step])
    before = {(s.name, s.database): (s.row_bytes(), s.disk_bytes()) for s in systems}
    for run_id in range(runs):
        run = make_run(size, seed=run_id)
        for system in systems:
            system.start_run(run_id)
        for step, state in enumerate(run.states):
            # Step by step, each system in turn, starting with another one each step: the
            # machine's noise (other processes, the disk, PostgreSQL's background writers)
            # falls on all of them alike.
            shift = (run_id * STEPS + step) % len(systems)
            for system in systems[shift:] + systems[:shift]:
                result = results[(system.name, system.database)]
                start = time.perf_counter()
                system.checkpoint(step, state, run.changed_keys[step])
                result.latencies.append(time.perf_counter() - start)
        for system in systems:
            result = results[(system.name, system.database)]
            result.changed_bytes += run.changed_bytes
            result.runs += 1
    for system in systems:
        result = results[(system.name, system.database)]
        rows0, disk0 = before[(system.name, system.database)]
        result.row_bytes = system.row_bytes() - rows0
        result.disk_bytes = system.disk_bytes() - disk0
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-url", default=os.environ.get("OMIUM_BENCH_PG_URL"))
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: 1KB,100KB,1MB")
    parser.add_argument("--runs-scale", type=float, default=1.0, help="multiply the run counts")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    report: dict[str, Any] = {"machine": machine(), "sizes": {}, "floor_ms": {}}
    created: list[str] = []
    with tempfile.TemporaryDirectory(prefix="omium-bench-") as tmp:
        workdir = Path(tmp)
        floor = report["floor_ms"]
        floor["fsync_1KB"] = floor_fsync(workdir) * 1000
        floor["sqlite_full_commit_1KB"] = floor_sqlite(workdir) * 1000
        pg_urls: dict[str, str] = {}
        if args.pg_url:
            for name in ("floor", "omium", "langgraph"):
                pg_urls[name] = create_database(args.pg_url, f"omium_bench_{name}")
                created.append(pg_urls[name])
            floor["postgres_insert_commit_1KB"] = floor_postgres(pg_urls["floor"]) * 1000
            floor["postgres_autocommit_insert_1KB"] = (
                floor_postgres(pg_urls["floor"], autocommit=True) * 1000
            )
        try:
            for label in args.sizes.split(","):
                runs = max(1, round(RUNS[label] * args.runs_scale))
                size_dir = workdir / label
                size_dir.mkdir()
                systems: list[System] = []
                with langgraph_sqlite(size_dir) as lg_sqlite, _maybe_pg(pg_urls, size_dir) as pg:
                    systems.append(
                        OmiumSystem(
                            f"sqlite:///{size_dir / 'omium.sqlite'}",
                            size_dir / "o-sqlite",
                            "sqlite",
                        )
                    )
                    systems.append(lg_sqlite)
                    systems.extend(pg)
                    try:
                        results = bench_size(label, systems, runs)
                    finally:
                        for system in systems:
                            system.close()
                report["sizes"][label] = {
                    f"{name}/{database}": {
                        "median_ms": r.median_ms(),
                        "p99_ms": r.p99_ms(),
                        "checkpoints": len(r.latencies),
                        "row_bytes_per_execution": r.row_bytes / r.runs,
                        "disk_bytes_per_execution": r.disk_bytes / r.runs,
                        "changed_bytes_per_execution": r.changed_bytes / r.runs,
                    }
                    for (name, database), r in results.items()
                }
                _print_size(label, report["sizes"][label], floor)
        finally:
            for url in created:
                drop_database(url)
    report["machine"]["load_average_end"] = os.getloadavg()
    _print_summary(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


@contextmanager
def _maybe_pg(pg_urls: dict[str, str], size_dir: Path) -> Iterator[list[System]]:
    if not pg_urls:
        yield []
        return
    with langgraph_postgres(pg_urls["langgraph"]) as lg_pg:
        omium_pg = OmiumSystem(pg_urls["omium"], size_dir / "o-pg", "postgresql")
        yield [omium_pg, lg_pg]


def _print_size(label: str, figures: dict[str, dict[str, float]], floor: dict[str, float]) -> None:
    print(f"\n== state {label} ==")
    header = ("system", "median ms", "p99 ms", "rows B/exec", "disk B/exec", "stored/changed")
    print(f"{header[0]:<22}" + "".join(f"{h:>14}" for h in header[1:]))
    for name, f in figures.items():
        ratio = f["row_bytes_per_execution"] / f["changed_bytes_per_execution"]
        print(
            f"{name:<22}{f['median_ms']:>14.3f}{f['p99_ms']:>14.3f}"
            f"{f['row_bytes_per_execution']:>14.0f}{f['disk_bytes_per_execution']:>14.0f}"
            f"{ratio:>14.2f}"
        )
    for database, floor_key in (
        ("sqlite", "sqlite_full_commit_1KB"),
        ("postgresql", "postgres_autocommit_insert_1KB"),
    ):
        omium, langgraph = figures.get(f"omium/{database}"), figures.get(f"langgraph/{database}")
        if not omium or not langgraph:
            continue
        line = (
            f"{database}: Omium is {langgraph['median_ms'] / omium['median_ms']:.1f}x faster "
            f"(median), {langgraph['p99_ms'] / omium['p99_ms']:.1f}x (p99)"
        )
        if floor_key in floor:
            line += f"; Omium = {omium['median_ms'] / floor[floor_key]:.1f}x the commit floor"
        print(line)


def _print_summary(report: dict[str, Any]) -> None:
    print("\n== machine ==")
    for key, value in report["machine"].items():
        print(f"{key}: {value}")
    print("floor (median ms): " + ", ".join(f"{k} {v:.3f}" for k, v in report["floor_ms"].items()))


if __name__ == "__main__":
    sys.exit(main())
