"""REST API benchmark: 64 concurrent clients start executions and read them back.

    python bench/api.py                      # SQLite (a fresh file), 64 clients, 30 s
    python bench/api.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/api.py --workers 2 --redis-url redis://127.0.0.1:6379/0 --database-url ...

The server is `omium api --workers N` in its own processes, as a production deployment runs
it: the REST API alone, no worker in it (workers are `omium worker` elsewhere). Nothing runs
the workflows here, so executions stay pending: this measures the API and the database, not
the engine. With ``--database-url postgresql://...`` a fresh database is created next to the
one named and dropped afterwards.

The load generator is aiohttp, in this process, on the same machine: each of the clients
loops POST /api/v1/executions, then GET /api/v1/executions/{id}. Reported: executions
started per second, the p50/p99 latency of each call, and where the CPU went per started
execution (POST and GET): the API processes, this database's PostgreSQL backends, and the
client itself, with the load average around the run (figures mean little above 1.5 on a
shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFINITION = {
    "agents": [{"id": "a1", "config": {"handler": "noop"}}],
    "flow": [{"step": 1, "agent": "a1"}],
}
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, command line)."""
    out: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        out[int(entry)] = (ppid, cmdline)
    return out


def _tree(root: int, processes: dict[int, tuple[int, str]]) -> set[int]:
    pids = {root}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in processes.items() if ppid in pids} - pids
        grew = bool(more)
        pids |= more
    return pids


class CpuMeter:
    """CPU seconds of the API's process tree and of the database's PostgreSQL backends."""

    def __init__(self, server_pid: int, database: str | None) -> None:
        self.server_pid = server_pid
        self.database = database

    def sample(self) -> tuple[float, float]:
        processes = _processes()
        api = sum(_cpu_seconds(p) for p in _tree(self.server_pid, processes))
        pg = 0.0
        if self.database:
            # A backend's title is "postgres: <user> <database> <client> <state>".
            pg = sum(
                _cpu_seconds(pid)
                for pid, (_, cmd) in processes.items()
                if cmd.startswith("postgres: ") and f" {self.database} " in cmd
            )
        return api, pg


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def client_loop(
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    workflow_id: str,
    stop: float,
    posts: list[float],
    gets: list[float],
) -> None:
    body = {"workflow_id": workflow_id, "input_params": {"n": 1}}
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        async with session.post("/api/v1/executions", json=body, headers=headers) as r:
            if r.status != 201:
                raise RuntimeError(f"POST: {r.status} {await r.text()}")
            execution_id = (await r.json())["execution"]["id"]
        t1 = time.perf_counter()
        async with session.get(f"/api/v1/executions/{execution_id}", headers=headers) as r:
            if r.status != 200:
                raise RuntimeError(f"GET: {r.status} {await r.text()}")
            await r.read()
        t2 = time.perf_counter()
        posts.append(t1 - t0)
        gets.append(t2 - t1)


async def run(base: str, clients: int, seconds: float, meter: CpuMeter) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector) as session:
        reg = await session.post(
            "/auth/register",
            json={
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "Bench-password-1",
                "tenant_name": "bench",
            },
        )
        reg.raise_for_status()
        headers = {"Authorization": f"Bearer {(await reg.json())['access_token']}"}
        wf = await session.post(
            "/api/v1/workflows", json={"name": "bench", "definition": DEFINITION}, headers=headers
        )
        wf.raise_for_status()
        workflow_id = (await wf.json())["workflow"]["id"]
        # Warm up (connections, caches, every API process), not counted.
        await asyncio.gather(
            *(
                client_loop(session, headers, workflow_id, time.perf_counter() + 2, [], [])
                for _ in range(clients)
            )
        )
        posts: list[float] = []
        gets: list[float] = []
        load_before = os.getloadavg()[0]
        api0, pg0 = meter.sample()
        client0 = time.process_time()
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(
            *(client_loop(session, headers, workflow_id, stop, posts, gets) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
        client_cpu = time.process_time() - client0
        api1, pg1 = meter.sample()
    n = len(posts)
    return {
        "starts": n,
        "elapsed": elapsed,
        "starts_per_s": n / elapsed,
        "post_p50_ms": percentile(posts, 0.50),
        "post_p99_ms": percentile(posts, 0.99),
        "get_p50_ms": percentile(gets, 0.50),
        "get_p99_ms": percentile(gets, 0.99),
        "api_ms": (api1 - api0) / n * 1000,
        "pg_ms": (pg1 - pg0) / n * 1000,
        "client_ms": client_cpu / n * 1000,
        "client_share": client_cpu / elapsed,
        "load": (load_before, os.getloadavg()[0]),
    }


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--redis-url", default="", help="rate limits (and relay) in Redis")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="API processes")
    args = parser.parse_args()

    from tests.conftest import create_postgres_database, drop_postgres_database

    from omium.testing.http import free_port

    tmp = tempfile.mkdtemp(prefix="omium-bench-")
    created_pg = None
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    database = None
    if url.startswith("postgres"):
        created_pg = url = create_postgres_database(url, prefix="omium_bench_api")
        database = url.rsplit("/", 1)[1]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env.update(
        OMIUM_DATABASE_URL=url,
        OMIUM_DATA_DIR=tmp,
        OMIUM_RATE_LIMIT_PER_MINUTE="100000000",
        OMIUM_LOG_LEVEL="warning",
    )
    if args.redis_url:
        env["OMIUM_REDIS_URL"] = args.redis_url
    command = [sys.executable, "-m", "omium", "api", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server)
        result = asyncio.run(run(base, args.clients, args.seconds, CpuMeter(server.pid, database)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if created_pg:
            drop_postgres_database(created_pg)
    dialect = "postgresql" if database else "sqlite"
    redis = " + Redis" if args.redis_url else ""
    r = result
    print(
        f"{dialect}{redis}, {args.workers} API processes, {args.clients} clients, "
        f"{args.seconds:.0f} s: {r['starts']} executions started, {r['starts_per_s']:.1f}/s; "
        f"POST /api/v1/executions p50 {r['post_p50_ms']:.1f} ms p99 {r['post_p99_ms']:.1f} ms; "
        f"GET /api/v1/executions/{{id}} p50 {r['get_p50_ms']:.1f} ms p99 "
        f"{r['get_p99_ms']:.1f} ms\n"
        f"  CPU per started execution (its POST and GET): API {r['api_ms']:.2f} ms, "
        + (f"PostgreSQL backends {r['pg_ms']:.2f} ms, " if database else "")
        + f"client {r['client_ms']:.2f} ms (the client used {100 * r['client_share']:.0f}% "
        f"of a core); load average {r['load'][0]:.2f} before, {r['load'][1]:.2f} after"
    )


if __name__ == "__main__":
    main()
