"""Signing keys: generated on first start, rotated by the CLI, old tokens still verify."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from omium.store.db import Database
from tests.api.conftest import Api


def test_rotation_publishes_both_keys_and_keeps_old_tokens_valid(
    api: Api, db: Database, tmp_path: Path, database_url: str
) -> None:
    before = api.register()
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env.update(OMIUM_DATA_DIR=str(tmp_path / "cli"), OMIUM_DATABASE_URL=database_url)
    result = subprocess.run(
        [sys.executable, "-m", "omium", "keys", "rotate-signing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    new_kid = result.stdout.strip().rsplit(" ", 1)[-1]
    assert new_kid != old_kid
    api.app_keys_reload()
    kids = {k["kid"] for k in api.client().get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= kids
    assert before.client.get("/auth/me").status_code == 200
    after = api.register()
    assert jwt.get_unverified_header(after.access_token)["kid"] == new_kid


@pytest.mark.parametrize("n", [1])
def test_the_first_start_generates_exactly_one_key(api: Api, n: int) -> None:
    keys = api.client().get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == n
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"


def test_a_key_reload_during_a_login_does_not_block_the_writer(api: Api) -> None:
    # Reloads happen inside the login's write transaction; on SQLite (one writer) a reload
    # that took the write lock would wait for itself.
    account = api.register()
    api.kit.keys._refresh_seconds = 0.0
    for _ in range(3):
        response = api.client().post(
            "/auth/login", json={"email": account.email, "password": "Correct-horse-42"}
        )
        assert response.status_code == 200
