"""Per principal and route rate limits: 429 RATE_LIMIT_EXCEEDED with Retry-After."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from omium.api.app import create_app
from omium.api.ratelimit import RedisRateLimiter
from omium.bootstrap import Runtime
from omium.store.db import Database
from omium.testing.http import free_port, serve
from tests.api.conftest import PASSWORD, Account, Api, error_of, make_settings


@pytest.fixture
def api_settings() -> dict[str, Any]:
    return {"rate_limit_per_minute": 5}


def test_the_sixth_request_in_a_minute_is_429(api: Api, owner: Account) -> None:
    for i in range(5):
        response = owner.client.get("/api/v1/roles")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(4 - i)
        assert 1 <= int(response.headers["X-RateLimit-Reset"]) <= 60
    limited = owner.client.get("/api/v1/roles")
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_limits_are_per_route_and_per_principal(api: Api, owner: Account) -> None:
    for _ in range(5):
        owner.client.get("/api/v1/roles")
    assert owner.client.get("/api/v1/roles").status_code == 429
    assert owner.client.get("/api/v1/users").status_code == 200  # another route
    other = api.register()
    assert other.client.get("/api/v1/roles").status_code == 200  # another principal


def test_requests_go_through_when_redis_is_down(db: Database, tmp_path: Path) -> None:
    # Nothing listens on this port: every Redis call of the limiter fails.
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    runtime = Runtime(settings=make_settings(db, tmp_path, rate_limit_per_minute=1), db=db)
    app = create_app(runtime, rate_limiter=limiter)
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        registered = client.post(
            "/auth/register",
            json={"email": "rl@example.com", "password": PASSWORD, "tenant_name": "R"},
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["access_token"]
        for _ in range(3):
            listed = client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {token}"})
            assert listed.status_code == 200
            assert listed.headers["X-RateLimit-Remaining"] == "1"
