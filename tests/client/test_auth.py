"""Client and CLI sessions against a real server: register, login, refresh, me, logout."""

from __future__ import annotations

import asyncio
import json
import stat
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omium.cli.main import app
from omium.client import ApiAuthError, AsyncClient, Client
from omium.errors import AuthError, ErrorCode
from tests.client.conftest import PASSWORD, Owner


def test_register_authenticates_the_client(server: str) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    with Client(server, api_key="") as client:
        registered = client.register(email, PASSWORD, "Initech")
        assert registered.user.email == email
        assert registered.tenant.name == "Initech"
        me = client.me()
    assert me.email == email
    assert me.tenant_id == registered.tenant.id
    assert "execution:create" in me.permissions


def test_login_refresh_and_logout(server: str, owner: Owner) -> None:
    with Client(server, api_key="") as client:
        login = client.login(owner.email, PASSWORD)
        assert client.me().id == login.user.id
        first_refresh = login.refresh_token
        rotated = client.refresh_tokens()
        assert rotated.refresh_token != first_refresh
        assert client.me().id == login.user.id
        client.logout()
        assert client.credentials.access_token is None

    # the rotated refresh token was revoked by the logout
    revoked = Client(server, access_token="x", refresh_token=rotated.refresh_token)
    with revoked, pytest.raises(ApiAuthError):
        revoked.refresh_tokens()


def test_wrong_password_is_an_auth_error_with_its_code(server: str, owner: Owner) -> None:
    with Client(server, api_key="") as client, pytest.raises(ApiAuthError) as caught:
        client.login(owner.email, "not-the-password")
    error = caught.value
    assert isinstance(error, AuthError)
    assert error.status_code == 401
    assert error.code is ErrorCode.AUTH_INVALID_CREDENTIALS
    assert error.request_id


def test_async_client_logs_in(server: str, owner: Owner) -> None:
    async def scenario() -> str:
        async with AsyncClient(server, api_key="") as client:
            await client.login(owner.email, PASSWORD)
            me = await client.me()
            return me.email

    assert asyncio.run(scenario()) == owner.email


def test_cli_login_keeps_a_private_session_and_logout_removes_it(
    server: str, owner: Owner, config_dir: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["login", "--email", owner.email, "--password", PASSWORD, "--server", server]
    )
    assert result.exit_code == 0, result.output
    saved = config_dir / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    session = json.loads(saved.read_text())
    assert session["server"] == server
    assert session["email"] == owner.email
    assert session["access_token"] and session["refresh_token"]

    # the session is used without --server (the saved server is the default)
    with Client(server, access_token=session["access_token"]) as client:
        assert client.me().email == owner.email

    result = runner.invoke(app, ["logout"])
    assert result.exit_code == 0, result.output
    assert not saved.exists()


def test_cli_login_with_a_wrong_password_fails_with_the_error_code(
    server: str, owner: Owner, config_dir: Path
) -> None:
    result = CliRunner().invoke(
        app, ["login", "--email", owner.email, "--password", "nope", "--server", server]
    )
    assert result.exit_code == 4
    assert "AUTH_INVALID_CREDENTIALS" in result.output
    assert not (config_dir / "credentials.json").exists()
