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
