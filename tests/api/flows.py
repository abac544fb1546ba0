"""Shared fixtures of the endpoint flows: a workflow definition and builders."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Account

DEFINITION: dict[str, Any] = {
    "agents": [
        {"id": "a1", "config": {"handler": "noop"}},
        {"id": "a2", "config": {"handler": "noop"}},
    ],
    "flow": [
        {"step": 1, "agent": "a1", "outputs": ["x"]},
        {"step": 2, "agent": "a2", "inputs": ["x"], "depends_on": [1]},
    ],
}


def create_workflow(account: Account, name: str = "onboarding") -> dict[str, Any]:
    response = account.client.post(
        "/api/v1/workflows", json={"name": name, "definition": DEFINITION, "tags": ["kyc"]}
    )
    assert response.status_code == 201, response.text
    workflow: dict[str, Any] = response.json()["workflow"]
    return workflow


def start_execution(account: Account, workflow_id: str) -> dict[str, Any]:
    response = account.client.post(
        "/api/v1/executions",
        json={
            "workflow_id": workflow_id,
            "input_params": {"customer": "Ada"},
            "trigger_type": "api",
        },
    )
    assert response.status_code == 201, response.text
    execution: dict[str, Any] = response.json()["execution"]
    return execution


def create_checkpoint(account: Account, execution_id: str, name: str) -> dict[str, Any]:
    response = account.client.post(
        "/api/v1/checkpoints",
        json={"execution_id": execution_id, "checkpoint_name": name, "state": {"step": name}},
    )
    assert response.status_code == 201, response.text
    checkpoint: dict[str, Any] = response.json()["checkpoint"]
    return checkpoint
