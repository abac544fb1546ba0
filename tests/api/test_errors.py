"""Every error is the LLD §5.2 body with a request id; validation errors name the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, error_of

VALID = {"email": "a@example.com", "password": "Correct-horse-42", "tenant_name": "A"}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({k: v for k, v in VALID.items() if k != "email"}, "MISSING_REQUIRED_FIELD", "body.email"),
        ({**VALID, "email": "not-an-email"}, "INVALID_FIELD_FORMAT", "body.email"),
        ({**VALID, "tenant_name": 42}, "INVALID_FIELD_FORMAT", "body.tenant_name"),
        ({**VALID, "is_admin": True}, "INVALID_INPUT", "body.is_admin"),
    ],
    ids=["missing", "bad_email", "wrong_type", "unknown_field"],
)
def test_validation_errors_are_422_with_the_field(
    api: Api, body: dict[str, Any], code: str, field: str
) -> None:
    response = api.client().post("/auth/register", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == code
    assert error["details"]["field"] == field


def test_malformed_json_is_422_invalid_input(api: Api) -> None:
    response = api.client().post(
        "/auth/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "INVALID_INPUT"


def test_the_request_id_given_is_used_in_the_error(api: Api) -> None:
    response = api.client().post("/auth/login", json={}, headers={"X-Request-ID": "req_mine"})
    assert response.headers["X-Request-ID"] == "req_mine"
    assert error_of(response)["request_id"] == "req_mine"


def test_an_unsafe_request_id_is_replaced(api: Api) -> None:
    response = api.client().get("/health", headers={"X-Request-ID": "x" * 500})
    assert response.headers["X-Request-ID"].startswith("req_")


def test_body_over_the_limit_is_413(api: Api) -> None:
    big = {**VALID, "first_name": "x" * (2 * 1024 * 1024)}
    response = api.client().post("/auth/register", json=big)
    assert response.status_code == 413
    assert error_of(response)["code"] == "INVALID_INPUT"


def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    response = api.client().post(
        "/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_unknown_path_is_a_404_error_body(api: Api) -> None:
    response = api.client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"


def test_wrong_method_is_405_error_body(api: Api) -> None:
    response = api.client().delete("/auth/login")
    assert response.status_code == 405
    assert error_of(response)["code"] == "INVALID_INPUT"


def test_no_stack_trace_in_any_error(api: Api) -> None:
    responses: list[httpx.Response] = [
        api.client().post("/auth/login", content=b"\xff\xfe"),
        api.client("omk_broken").get("/auth/me"),
        api.client().post("/auth/refresh", json={"refresh_token": ["x"]}),
    ]
    for response in responses:
        assert response.status_code < 500
        assert "Traceback" not in response.text
        error_of(response)


def test_nul_characters_are_refused_before_the_database(api: Api) -> None:
    body = api.client().post("/auth/login", json={"email": "a\u0000@example.com", "password": "x"})
    assert body.status_code == 422
    assert error_of(body)["code"] == "INVALID_FIELD_FORMAT"
    query = api.client().get("/health", params={"x": "a\x00b"})
    assert query.status_code == 422
    assert error_of(query)["details"]["field"] == "query"
