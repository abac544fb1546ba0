"""A real HTTP server per test (uvicorn on a socket) over the suite's database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from omium.api.app import create_app
from omium.api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from omium.bootstrap import Runtime
from omium.config import Settings
from omium.services.auth import AuthKit
from omium.store.db import Database
from omium.testing.http import serve
from tests.conftest import TEST_REDIS_URL

PASSWORD = "Correct-horse-42"


@dataclass
class Account:
    """A registered owner of a fresh tenant, with a client carrying their token."""

    client: httpx.Client
    email: str
    user_id: str
    tenant_id: str
    access_token: str
    refresh_token: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Api:
    base_url: str
    runtime: Runtime
    kit: AuthKit
    clients: list[httpx.Client] = field(default_factory=list)

    def app_keys_reload(self) -> None:
        """Make the server re-read its signing keys now (it does so every 30 s by itself)."""
        self.kit.keys.load()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def register(self, *, email: str | None = None, tenant_name: str = "Acme Corp") -> Account:
        email = email or f"owner-{uuid.uuid4().hex[:10]}@example.com"
        response = self.client().post(
            "/auth/register",
            json={
                "email": email,
                "password": PASSWORD,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "tenant_name": tenant_name,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(
            client=self.client(body["access_token"]),
            email=email,
            user_id=body["user"]["id"],
            tenant_id=body["tenant"]["id"],
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
        )

    def member(self, owner: Account, role: str) -> Account:
        """A second user of ``owner``'s tenant with one role, logged in."""
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        created = owner.client.post(
            "/api/v1/users",
            json={"email": email, "password": PASSWORD, "roles": [role]},
        )
        assert created.status_code == 201, created.text
        login = self.client().post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        body = login.json()
        return Account(
            client=self.client(body["access_token"]),
            email=email,
            user_id=body["user"]["id"],
            tenant_id=owner.tenant_id,
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
        )


def make_limiter() -> RateLimiter:
    if TEST_REDIS_URL:
        return RedisRateLimiter(TEST_REDIS_URL, prefix=f"omium-test-{uuid.uuid4().hex}:")
    return MemoryRateLimiter()


def make_settings(db: Database, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db.url, **overrides)


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Overrides of the test server's settings; a test may override this fixture."""
    return {}


@pytest.fixture
def api(db: Database, tmp_path: Path, api_settings: dict[str, Any]) -> Iterator[Api]:
    runtime = Runtime(settings=make_settings(db, tmp_path, **api_settings), db=db)
    app = create_app(runtime, rate_limiter=make_limiter())
    with serve(app) as base_url:
        handle = Api(base_url=base_url, runtime=runtime, kit=app.state.auth)
        try:
            yield handle
        finally:
            for client in handle.clients:
                client.close()


@pytest.fixture
def owner(api: Api) -> Account:
    return api.register()


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The §5.2 error of a response, checked for shape and request id."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}, error
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error
