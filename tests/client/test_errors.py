"""The client turns every error the server answers into a typed exception with its LLD code."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from omium.client import (
    ApiAuthError,
    ApiNotFoundError,
    ApiUnavailableError,
    ApiValidationError,
    AsyncClient,
    Client,
)
from omium.errors import AuthError, ErrorCode, NotFoundError, ValidationError
from omium.testing.http import free_port
from tests.client.conftest import Owner


def test_missing_credentials_are_an_auth_error(server: str) -> None:
    with Client(server, api_key="") as client, pytest.raises(ApiAuthError) as caught:
        client.list_executions()
    assert isinstance(caught.value, AuthError)
    assert caught.value.status_code == 401
    assert caught.value.request_id


def test_not_found_carries_code_details_and_request_id(owner: Owner) -> None:
    workflow_id = uuid.uuid4()
    with pytest.raises(ApiNotFoundError) as caught:
        owner.client.start_execution(workflow_id, {})
    error = caught.value
    assert isinstance(error, NotFoundError)
    assert error.code is ErrorCode.WORKFLOW_NOT_FOUND
    assert error.details["workflow_id"] == str(workflow_id)
    assert error.request_id and error.request_id in str(error)


def test_invalid_input_is_a_validation_error_naming_the_field(owner: Owner) -> None:
    with pytest.raises(ApiValidationError) as caught:
        owner.client.create_workflow("broken", {"agents": [], "flow": []})
    assert isinstance(caught.value, ValidationError)
    assert caught.value.status_code == 422


def test_async_client_raises_the_same_errors(server: str) -> None:
    async def scenario() -> ApiAuthError:
        async with AsyncClient(server, api_key="") as client:
            try:
                await client.get_execution(uuid.uuid4())
            except ApiAuthError as exc:
                return exc
        raise AssertionError("no error raised")

    assert asyncio.run(scenario()).code is ErrorCode.AUTH_INVALID_CREDENTIALS


def test_no_server_is_a_service_unavailable_error() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    with Client(base) as client, pytest.raises(ApiUnavailableError) as caught:
        client.list_executions()
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert caught.value.details == {"server": base}
