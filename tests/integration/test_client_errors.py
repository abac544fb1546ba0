"""The client turns the server's LLD §5.2 error bodies into typed exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture
def app(db: Database, tmp_path: Path) -> Iterator[FastAPI]:
    runtime = build_runtime(load_settings(data_dir=tmp_path, database_url=db.url))
    app = create_app(runtime)

    # Two routes raising our own errors through the app's real error mapper.
    @app.get("/api/v1/executions/{execution_id}")
    def _missing(execution_id: str) -> None:
        raise NotFoundError(
            f"Execution with ID '{execution_id}' not found",
            code=ErrorCode.EXECUTION_NOT_FOUND,
            details={"execution_id": execution_id},
        )

    @app.post("/api/v1/executions/{execution_id}/pause")
    def _cannot_pause(execution_id: str) -> None:
        raise ConflictError(
            "cannot pause a completed execution", code=ErrorCode.EXECUTION_CANNOT_PAUSE
        )

    # create_app serves these paths too (behind auth): the two test routes must match first.
    app.router.routes[:0] = [app.router.routes.pop(), app.router.routes.pop()]
    yield app
    runtime.close()


def test_sync_client_raises_the_lld_error(app: FastAPI) -> None:
    with serve(app) as base, Client(base, api_key="om_test") as client:
        with pytest.raises(ApiNotFoundError) as caught:
            client.get_execution("e-1")
        error = caught.value
        assert isinstance(error, NotFoundError)
        assert error.status_code == 404
        assert error.code is ErrorCode.EXECUTION_NOT_FOUND
        assert error.details == {"execution_id": "e-1"}
        assert error.request_id and error.request_id.startswith("req_")
        assert "EXECUTION_NOT_FOUND" in str(error)

        with pytest.raises(ApiConflictError) as conflict:
            client.pause_execution("e-1")
        assert isinstance(conflict.value, ConflictError)
        assert conflict.value.code is ErrorCode.EXECUTION_CANNOT_PAUSE


def test_async_client_raises_the_lld_error(app: FastAPI) -> None:
    async def scenario(base: str) -> ApiNotFoundError:
        async with AsyncClient(base, api_key="om_test") as client:
            try:
                await client.get_execution("e-2")
            except ApiNotFoundError as exc:
                return exc
        raise AssertionError("no error raised")

    with serve(app) as base:
        error = asyncio.run(scenario(base))
    assert error.code is ErrorCode.EXECUTION_NOT_FOUND
    assert error.status_code == 404


def test_no_server_is_a_service_unavailable_error() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    with Client(base) as client, pytest.raises(ApiUnavailableError) as caught:
        client.list_executions()
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert caught.value.details == {"server": base}
