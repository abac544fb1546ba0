"""`omium server` on a fresh data directory: starts with no other service, answers health."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env.update(extra)
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = _clean_env(OMIUM_DATA_DIR=str(tmp_path / "data"), OMIUM_API_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "omium", "server"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded machine the imports alone can take a good part of a minute.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"server exited with {proc.returncode}:\n{out}")
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not answer within 90 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def test_server_starts_on_sqlite_and_answers_health_and_ready(server: str, tmp_path: Path) -> None:
    health = httpx.get(f"{server}/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = httpx.get(f"{server}/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert (tmp_path / "data" / "omium.db").exists()


def test_request_id_is_echoed_or_made(server: str) -> None:
    given = httpx.get(f"{server}/health", headers={"X-Request-ID": "req_abc"})
    assert given.headers["X-Request-ID"] == "req_abc"
    made = httpx.get(f"{server}/health")
    assert made.headers["X-Request-ID"].startswith("req_")


def test_unknown_path_is_404(server: str) -> None:
    assert httpx.get(f"{server}/nope").status_code == 404


def test_bad_database_url_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "omium", "server"],
        env=_clean_env(OMIUM_DATA_DIR=str(tmp_path), OMIUM_DATABASE_URL="mysql://root@db/x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "OMIUM_DATABASE_URL" in result.stderr
    assert "unsupported database 'mysql'" in result.stderr


def test_db_upgrade_command_reports_the_revision(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "omium", "db", "upgrade"],
        env=_clean_env(OMIUM_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    from omium.store.migrate import head_revision

    assert f"database at revision {head_revision()}" in result.stdout
