"""Per principal and route rate limits: 429 RATE_LIMIT_EXCEEDED with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Account, Api, error_of


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
