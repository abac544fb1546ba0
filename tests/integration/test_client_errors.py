"""The client turns the server's LLD §5.2 error bodies into typed exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from omium.api.app import create_app
from omium.bootstrap import build_runtime
from omium.client import (
    ApiConflictError,
    ApiNotFoundError,
    ApiUnavailableError,
    AsyncClient,
    Client,
)
from omium.config import load_settings
from omium.errors import ConflictError, ErrorCode, NotFoundError
from omium.store.db import Database
from omium.testing.http import free_port, serve

MISSING = "00000000-0000-4000-8000-000000000001"
DEFINITION = {
    "agents": [{"id": "a1", "config": {"handler": "noop"}}],
    "flow": [{"step": 1, "agent": "a1"}],
}


@pytest.fixture
def app(db: Database, tmp_path: Path) -> Iterator[FastAPI]:
    runtime = build_runtime(load_settings(data_dir=tmp_path, database_url=db.url))
    yield create_app(runtime)
    runtime.close()


def _owner_with_a_cancelled_execution(base: str) -> tuple[str, str]:
    """A fresh tenant's access token, and an execution of it that is cancelled."""
    reg = httpx.post(
        f"{base}/auth/register",
        json={"email": "c@example.com", "password": "Correct-horse-42", "tenant_name": "c"},
    )
    token = reg.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    wf = httpx.post(
        f"{base}/api/v1/workflows", json={"name": "w", "definition": DEFINITION}, headers=headers
    ).json()["workflow"]
    ex = httpx.post(
        f"{base}/api/v1/executions", json={"workflow_id": wf["id"]}, headers=headers
    ).json()["execution"]
    httpx.post(f"{base}/api/v1/executions/{ex['id']}/cancel", headers=headers)
    return token, ex["id"]


def test_sync_client_raises_the_lld_error(app: FastAPI) -> None:
    with serve(app) as base:
        token, cancelled = _owner_with_a_cancelled_execution(base)
        with Client(base, api_key=token) as client:
            with pytest.raises(ApiNotFoundError) as caught:
                client.get_execution(MISSING)
            error = caught.value
            assert isinstance(error, NotFoundError)
            assert error.status_code == 404
            assert error.code is ErrorCode.EXECUTION_NOT_FOUND
            assert error.details == {"execution_id": MISSING}
            assert error.request_id and error.request_id.startswith("req_")
            assert "EXECUTION_NOT_FOUND" in str(error)

            with pytest.raises(ApiConflictError) as conflict:
                client.pause_execution(cancelled)
            assert isinstance(conflict.value, ConflictError)
            assert conflict.value.code is ErrorCode.EXECUTION_CANNOT_PAUSE


def test_async_client_raises_the_lld_error(app: FastAPI) -> None:
    async def scenario(base: str, token: str) -> ApiNotFoundError:
        async with AsyncClient(base, api_key=token) as client:
            try:
                await client.get_execution(MISSING)
            except ApiNotFoundError as exc:
                return exc
        raise AssertionError("no error raised")

    with serve(app) as base:
        token, _ = _owner_with_a_cancelled_execution(base)
        error = asyncio.run(scenario(base, token))
    assert error.code is ErrorCode.EXECUTION_NOT_FOUND
    assert error.status_code == 404


def test_no_server_is_a_service_unavailable_error() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    with Client(base) as client, pytest.raises(ApiUnavailableError) as caught:
        client.list_executions()
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert caught.value.details == {"server": base}
