"""`omium api` serves the REST API alone; a user can register and call it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_server import _clean_env, _free_port


def test_omium_api_serves_register_and_jwks(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(OMIUM_DATA_DIR=str(tmp_path / "data"), OMIUM_API_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "omium", "api"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"omium api exited with {proc.returncode}:\n{out}")
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("omium api did not answer within 60 s")
                time.sleep(0.2)
        reg = httpx.post(
            f"{base}/auth/register",
            json={"email": "e2e@example.com", "password": "Correct-horse-42", "tenant_name": "E"},
        )
        assert reg.status_code == 201
        token = reg.json()["access_token"]
        me = httpx.get(f"{base}/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["roles"] == ["owner"]
        assert len(httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


def test_omium_api_workers_share_keys_and_revocations(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(
        OMIUM_DATA_DIR=str(tmp_path / "data"),
        OMIUM_API_PORT=str(port),
        # No principal cache: a revocation made through one process is seen by the other
        # at once (with the cache: within OMIUM_AUTH_CACHE_SECONDS).
        OMIUM_AUTH_CACHE_SECONDS="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "omium", "api", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"omium api exited with {proc.returncode}:\n{out}")
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("omium api did not answer within 60 s")
                time.sleep(0.2)
        password = "Correct-horse-42"
        owner = httpx.post(
            f"{base}/auth/register",
            json={"email": "own@example.com", "password": password, "tenant_name": "W"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {owner}"}
        created = httpx.post(
            f"{base}/api/v1/users",
            json={"email": "dev@example.com", "password": password, "roles": ["developer"]},
            headers=auth,
        )
        assert created.status_code == 201, created.text
        dev = httpx.post(
            f"{base}/auth/login", json={"email": "dev@example.com", "password": password}
        ).json()["access_token"]
        dev_auth = {"Authorization": f"Bearer {dev}"}
        # One signing key, made before the processes started; each new connection may land
        # on either process, and every one accepts the token.
        assert len(httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]) == 1
        for _ in range(10):
            assert httpx.get(f"{base}/api/v1/workflows", headers=dev_auth).status_code == 200
        user_id = created.json()["user"]["id"]
        disabled = httpx.patch(
            f"{base}/api/v1/users/{user_id}", json={"status": "disabled"}, headers=auth
        )
        assert disabled.status_code == 200
        for _ in range(10):
            assert httpx.get(f"{base}/api/v1/workflows", headers=dev_auth).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
