"""Over REST, end to end with the engine: an agent's config_ref is checked, pinned at start
and run; a cancel reaches a sync agent running in an ``omium worker`` process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from omium.engine import build_engine
from tests.api.conftest import Account, Api, error_of
from tests.engine import agents
from tests.engine.test_crash import ROOT, spawn_worker

SANE_PROMPT = "Generate offer terms; keep 0.025 <= apr <= 0.085."


def create_config(account: Account, config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": "Offer Agent", "framework": "custom", "version": "1.0.0", "config": config}
    response = account.client.post("/api/v1/agent-configs", json={**body, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["agent_config"]
    return created


def offer_flow(ref: str) -> dict[str, Any]:
    return {
        "agents": [{"id": "offer", "name": "Offer Agent", "config_ref": ref}],
        "flow": [{"step": 1, "agent": "offer", "outputs": ["offer"]}],
        "policies": {"max_retries": 0},
    }


def run_engine(api: Api) -> None:
    engine = build_engine(api.runtime.settings, api.runtime.db)
    try:
        asyncio.run(engine.worker(poll_seconds=0.05).run(until_idle=True))
    finally:
        engine.close()


def test_config_ref_is_checked_pinned_and_run(api: Api, owner: Account) -> None:
    config = create_config(owner, {"handler": "offer_agent", "prompt": SANE_PROMPT})
    created = owner.client.post(
        "/api/v1/workflows", json={"name": "offers", "definition": offer_flow(config["id"])}
    )
    assert created.status_code == 201, created.text
    workflow = created.json()["workflow"]

    missing = str(uuid.uuid4())
    refused = owner.client.post(
        "/api/v1/workflows", json={"name": "bad", "definition": offer_flow(missing)}
    )
    assert refused.status_code == 422
    error = error_of(refused)
    assert error["code"] == "INVALID_INPUT"
    assert error["details"] == {
        "problem": "unknown_agent_config",
        "agent": "offer",
        "config_ref": missing,
    }
    new_version = owner.client.patch(
        f"/api/v1/workflows/{workflow['id']}", json={"definition": offer_flow(missing)}
    )
    assert new_version.status_code == 422
    assert error_of(new_version)["details"]["problem"] == "unknown_agent_config"

    # Another tenant cannot reference it: to them it does not exist.
    stranger = api.register(tenant_name="Other Corp")
    theirs = stranger.client.post(
        "/api/v1/workflows", json={"name": "steal", "definition": offer_flow(config["id"])}
    )
    assert theirs.status_code == 422
    assert error_of(theirs)["details"]["problem"] == "unknown_agent_config"

    started = owner.client.post("/api/v1/executions", json={"workflow_id": workflow["id"]})
    assert started.status_code == 201, started.text
    execution = started.json()["execution"]
    pinned = execution["metadata"]["agent_configs"]["offer"]
    assert (pinned["id"], pinned["name"], pinned["version"]) == (
        config["id"],
        "Offer Agent",
        "1.0.0",
    )
    # Edited after the start: the execution keeps what it pinned.
    edited = owner.client.patch(
        f"/api/v1/agent-configs/{config['id']}",
        json={"version": "2.0.0", "config": {"handler": "offer_agent", "prompt": "Offer."}},
    )
    assert edited.status_code == 200, edited.text
    run_engine(api)
    done = owner.client.get(f"/api/v1/executions/{execution['id']}").json()["execution"]
    assert done["status"] == "completed"
    assert done["result"] == {"offer": {"apr": 0.05, "amount": 1000}}
    assert done["agents"][0]["agent_type"] == "offer_agent"

    later = owner.client.post("/api/v1/executions", json={"workflow_id": workflow["id"]})
    assert later.json()["execution"]["metadata"]["agent_configs"]["offer"]["version"] == "2.0.0"


def test_an_agent_config_is_validated_in_the_lld_format(api: Api, owner: Account) -> None:
    bad = owner.client.post(
        "/api/v1/agent-configs",
        json={
            "name": "Broken",
            "framework": "custom",
            "config": {"recovery_policies": {"on_failure": "pray"}},
        },
    )
    assert bad.status_code == 422
    error = error_of(bad)
    assert error["code"] == "INVALID_FIELD_FORMAT"
    assert error["details"]["path"] == "recovery_policies.on_failure"


def test_rest_cancel_interrupts_a_sync_agent_in_a_worker_process(
    api: Api, owner: Account, tmp_path: Path
) -> None:
    assert agents.spin_marked  # the worker process imports the same module
    marks = tmp_path / "marks"
    marks.mkdir()
    definition = {
        "agents": [{"id": "a1", "config": {"handler": "spin_marked"}}],
        "flow": [{"step": 1, "agent": "a1", "inputs": ["marks"], "outputs": ["spun"]}],
    }
    wf = owner.client.post("/api/v1/workflows", json={"name": "spin", "definition": definition})
    assert wf.status_code == 201, wf.text
    started = owner.client.post(
        "/api/v1/executions",
        json={"workflow_id": wf.json()["workflow"]["id"], "input_params": {"marks": str(marks)}},
    )
    execution_id = started.json()["execution"]["id"]
    settings = api.runtime.settings
    env_vars = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMIUM_DATABASE_URL": api.runtime.db.url,
        "OMIUM_DATA_DIR": str(settings.data_dir),
        "OMIUM_AGENT_MODULES": "tests.engine.agents",
        "OMIUM_WORKER_LEASE_SECONDS": "1.5",
        "OMIUM_WORKER_POLL_SECONDS": "0.1",
        "OMIUM_LOG_LEVEL": "warning",
    }
    if settings.blob_url:
        env_vars["OMIUM_BLOB_URL"] = settings.blob_url
    log = tmp_path / "rest-cancel-w.log"
    worker = spawn_worker(env_vars, "rest-cancel-w", tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (marks / "entered").exists():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker never started the agent"
            time.sleep(0.05)
        cancelled = owner.client.post(f"/api/v1/executions/{execution_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["execution"]["status"] == "cancelled"
        at_cancel = owner.client.get(f"/api/v1/executions/{execution_id}").json()["execution"]
        while not (marks / "left").exists():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the agent's thread kept running"
            time.sleep(0.05)
        assert (marks / "left").read_text() == "interrupted"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, log.read_text()
    after = owner.client.get(f"/api/v1/executions/{execution_id}").json()["execution"]
    assert after == at_cancel
    assert after["status"] == "cancelled" and after["result"] is None
    assert after["agents"][0]["status"] == "failed" and after["agents"][0]["error"] == "cancelled"
    checkpoints = owner.client.get(f"/api/v1/executions/{execution_id}/checkpoints").json()
    assert [c["checkpoint_name"] for c in checkpoints["checkpoints"]] == ["a1_start"]
