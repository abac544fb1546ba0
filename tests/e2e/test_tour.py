"""The README's tour across real processes: `omium api` and `omium worker` on one database,
the example workflow applied with the CLI, a run started and followed with the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from omium.client import Client
from omium.testing.http import free_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "onboarding"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env.update(
        OMIUM_DATA_DIR=str(tmp_path / "data"),
        OMIUM_CONFIG_DIR=str(tmp_path / "config"),
        # The operator's allow-list: the example's agents module.
        PYTHONPATH=str(EXAMPLE),
        OMIUM_AGENT_MODULES="agents",
        OMIUM_WORKER_POLL_SECONDS="0.1",
        **extra,
    )
    return env


@pytest.fixture
def api_and_worker(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = _env(tmp_path, OMIUM_API_PORT=str(port))
    # The API migrates the fresh database first; the worker starts once it answers.
    api = subprocess.Popen(
        [sys.executable, "-m", "omium", "api"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    procs = [api]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if api.poll() is not None:
                out = api.stdout.read().decode() if api.stdout else ""
                pytest.fail(f"omium api exited with {api.returncode}:\n{out}")
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("omium api did not answer within 60 s")
                time.sleep(0.1)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "omium", "worker"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
        yield base
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
            if proc.stdout:
                proc.stdout.close()


def test_tour_api_worker_cli_and_client(api_and_worker: str, tmp_path: Path) -> None:
    base = api_and_worker
    with Client(base, api_key="") as client:
        client.register("me@example.com", "Correct-horse-42", "Acme")
        key = client.create_api_key("tour").key

        applied = subprocess.run(
            [
                sys.executable,
                "-m",
                "omium",
                "workflows",
                "apply",
                str(EXAMPLE / "workflow.yaml"),
                "--server",
                base,
                "--json",
            ],
            env=_env(tmp_path, OMIUM_API_KEY=key),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert applied.returncode == 0, applied.stderr
        workflow_id = json.loads(applied.stdout)["id"]

        inputs = json.loads((EXAMPLE / "input.json").read_text())
        execution = client.start_execution(workflow_id, inputs)
        kinds = [e.event_type for e in client.iter_events(execution.id)]  # live, ends by itself

        assert kinds[-1] == "execution_completed"
        assert kinds.index("failure_detected") < kinds.index("rollback")
        done = client.get_execution(execution.id)
        assert done.status.value == "completed"
        assert done.result is not None
        assert 0.025 <= done.result["offer"]["apr"] <= 0.085
        failures = client.list_failures(execution_id=execution.id).failures
        assert [f.failure_type for f in failures] == ["hallucination"]
