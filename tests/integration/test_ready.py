"""/ready reports each dependency: the database schema, and Redis when configured."""

from __future__ import annotations

from pathlib import Path

import httpx

from omium.api.app import create_app
from omium.bootstrap import build_runtime
from omium.config import load_settings
from omium.store.db import Database
from omium.testing.http import serve


def test_ready_checks_redis_when_configured(db: Database, redis_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=db.url, redis_url=redis_url)
    runtime = build_runtime(settings)
    try:
        with serve(create_app(runtime)) as base:
            body = httpx.get(f"{base}/ready").json()
        assert body == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    finally:
        runtime.close()


def test_not_ready_when_redis_does_not_answer(db: Database, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, database_url=db.url, redis_url="redis://127.0.0.1:1/0"
    )
    runtime = build_runtime(settings)
    try:
        with serve(create_app(runtime)) as base:
            response = httpx.get(f"{base}/ready", headers={"X-Request-ID": "req_1"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "SERVICE_UNAVAILABLE"
        assert error["request_id"] == "req_1"
        assert error["details"]["checks"]["database"] == "ok"
        assert error["details"]["checks"]["redis"] == "ConnectionError"
    finally:
        runtime.close()


def test_not_ready_before_the_schema_is_migrated(empty_database_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=empty_database_url)
    runtime = build_runtime(settings, migrate=False)
    try:
        with serve(create_app(runtime)) as base:
            response = httpx.get(f"{base}/ready")
        assert response.status_code == 503
        assert "expected" in response.json()["error"]["details"]["checks"]["database"]
    finally:
        runtime.close()
