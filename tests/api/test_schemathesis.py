"""Property-based calls against /openapi.json (schemathesis): no 5xx, every response matches
the documented schema. Runs as the owner of a tenant, against a real HTTP server."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.api.conftest import Account, Api

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_api_conforms_to_its_schema(api: Api, owner: Account) -> None:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {owner.access_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            if case.path.endswith("/events"):
                case.query = {**(case.query or {}), "follow": "false"}
            response = case.call(base_url=api.base_url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        check()
