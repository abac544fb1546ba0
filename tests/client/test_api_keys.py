"""API keys through the client and `omium keys`, against a real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omium.cli.main import app
from omium.client import ApiAuthError, ApiNotFoundError, Client
from omium.errors import ErrorCode
from tests.client.conftest import Owner


def test_create_list_get_and_revoke(server: str, owner: Owner) -> None:
    expires = datetime.now(UTC) + timedelta(days=7)
    created = owner.client.create_api_key("ci", permissions=["execution:read"], expires_at=expires)
    assert created.key.startswith(created.key_prefix)
    assert created.permissions == ["execution:read"]

    listed = owner.client.list_api_keys()
    assert [k.id for k in listed.api_keys] == [created.id]
    assert listed.pagination.total == 1
    assert owner.client.get_api_key(created.id).name == "ci"

    # The key works as a Bearer credential, with its own permissions.
    with Client(server, api_key=created.key) as as_key:
        assert as_key.me().email == owner.email

    owner.client.revoke_api_key(created.id)
    assert owner.client.get_api_key(created.id).revoked_at is not None
    with Client(server, api_key=created.key) as as_key, pytest.raises(ApiAuthError):
        as_key.me()


def test_another_tenants_key_is_not_found(server: str, owner: Owner) -> None:
    with Client(server, api_key="") as other:
        other.register("other@example.com", "Correct-horse-42", "Other Co")
        key = other.create_api_key("theirs")
    with pytest.raises(ApiNotFoundError) as caught:
        owner.client.get_api_key(key.id)
    assert caught.value.status_code == 404
    assert caught.value.code is not ErrorCode.INTERNAL_ERROR


def test_cli_keys_create_list_revoke(
    server: str, owner: Owner, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI authenticates with an API key from the environment.
    admin_key = owner.client.create_api_key("admin").key
    monkeypatch.setenv("OMIUM_API_KEY", admin_key)
    runner = CliRunner()

    created = runner.invoke(
        app, ["keys", "create", "deploy", "-p", "execution:read", "--server", server, "--json"]
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["name"] == "deploy" and key["key"]

    listed = runner.invoke(app, ["keys", "list", "--server", server, "--json"])
    assert listed.exit_code == 0, listed.output
    names = {k["name"] for k in json.loads(listed.stdout)["api_keys"]}
    assert names == {"admin", "deploy"}
    assert "key" not in json.loads(listed.stdout)["api_keys"][0]

    human = runner.invoke(app, ["keys", "list", "--server", server])
    assert human.exit_code == 0 and key["id"] in human.stdout

    revoked = runner.invoke(app, ["keys", "revoke", key["id"], "--server", server])
    assert revoked.exit_code == 0, revoked.output
    with Client(server, api_key=key["key"]) as as_key, pytest.raises(ApiAuthError):
        as_key.me()

    missing = runner.invoke(
        app, ["keys", "revoke", "00000000-0000-0000-0000-000000000000", "--server", server]
    )
    assert missing.exit_code == 3


def test_cli_without_credentials_says_how_to_log_in(server: str, config_dir: Path) -> None:
    result = CliRunner().invoke(app, ["keys", "list", "--server", server])
    assert result.exit_code == 4
    assert "omium login" in result.output
