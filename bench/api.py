"""REST API benchmark: 64 concurrent clients start executions and read them back.

    python bench/api.py                      # SQLite (a fresh file), 64 clients, 30 s
    python bench/api.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

The server runs in its own process (uvicorn, one worker, as `omium api` would). Each client
loops: POST /api/v1/executions, then GET /api/v1/executions/{id}. Reported: executions
started per second and the p50/p99 latency of each call. Nothing else runs workflows, so
executions stay pending: this measures the API and the database, not the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFINITION = {
    "agents": [{"id": "a1", "config": {"handler": "noop"}}],
    "flow": [{"step": 1, "agent": "a1"}],
}


def serve(database_url: str, port: int, data_dir: str) -> None:
    import uvicorn

    from omium.api.app import create_app
    from omium.bootstrap import build_runtime
    from omium.config import load_settings

    settings = load_settings(
        database_url=database_url, data_dir=data_dir, rate_limit_per_minute=10_000_000
    )
    runtime = build_runtime(settings)
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def client_loop(
    client: httpx.AsyncClient, workflow_id: str, stop: float, posts: list[float], gets: list[float]
) -> None:
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        r = await client.post(
            "/api/v1/executions", json={"workflow_id": workflow_id, "input_params": {"n": 1}}
        )
        t1 = time.perf_counter()
        r.raise_for_status()
        posts.append(t1 - t0)
        execution_id = r.json()["execution"]["id"]
        r = await client.get(f"/api/v1/executions/{execution_id}")
        gets.append(time.perf_counter() - t1)
        r.raise_for_status()


async def run(base: str, clients: int, seconds: float) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as anon:
        reg = await anon.post(
            "/auth/register",
            json={
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "Bench-password-1",
                "tenant_name": "bench",
            },
        )
        reg.raise_for_status()
        token = reg.json()["access_token"]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=limits
    ) as client:
        wf = await client.post(
            "/api/v1/workflows", json={"name": "bench", "definition": DEFINITION}
        )
        wf.raise_for_status()
        workflow_id = wf.json()["workflow"]["id"]
        posts: list[float] = []
        gets: list[float] = []
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(
            *(client_loop(client, workflow_id, stop, posts, gets) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return {
        "starts": len(posts),
        "starts_per_s": len(posts) / elapsed,
        "post_p50_ms": percentile(posts, 0.50),
        "post_p99_ms": percentile(posts, 0.99),
        "get_p50_ms": percentile(gets, 0.50),
        "get_p99_ms": percentile(gets, 0.99),
        "post_mean_ms": statistics.fmean(posts) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.database_url, args.port, args.data_dir)
        return

    from tests.conftest import create_postgres_database, drop_postgres_database

    from omium.testing.http import free_port

    tmp = tempfile.mkdtemp(prefix="omium-bench-")
    created_pg = None
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    if url.startswith("postgres"):
        created_pg = url = create_postgres_database(url, prefix="omium_bench")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--port",
            str(port),
            "--database-url",
            url,
            "--data-dir",
            tmp,
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        result = asyncio.run(run(base, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if created_pg:
            drop_postgres_database(created_pg)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    print(
        f"{dialect}: {args.clients} clients, {args.seconds:.0f} s: "
        f"{result['starts']:.0f} executions started, {result['starts_per_s']:.1f}/s; "
        f"POST /api/v1/executions p50 {result['post_p50_ms']:.1f} ms p99 "
        f"{result['post_p99_ms']:.1f} ms; GET /api/v1/executions/{{id}} p50 "
        f"{result['get_p50_ms']:.1f} ms p99 {result['get_p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
