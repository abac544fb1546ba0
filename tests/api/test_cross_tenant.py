"""For every route with an id: tenant B's owner on tenant A's resource gets 404, changes nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from omium.api.app import create_app
from omium.api.permissions_doc import route_permissions
from omium.bootstrap import Runtime
from omium.store.models import AuditLog, Failure
from tests.api.conftest import PASSWORD, Api, error_of
from tests.api.flows import create_checkpoint, create_workflow, start_execution

BODIES: dict[str, Any] = {
    "recover_failure": {"action_type": "retry", "action_config": {}},
    "update_user": {"first_name": "Mallory"},
    "update_role": {"name": "pwned"},
    "update_workflow": {"name": "pwned"},
    "update_agent_config": {"name": "pwned"},
    "update_policy": {"name": "pwned"},
    "resume_execution": {},
    "rollback_to_checkpoint": {"reason": "pwned"},
}


def _tenant_a(api: Api) -> tuple[Any, dict[str, str]]:
    a = api.register()
    wf = create_workflow(a)
    ex = start_execution(a, wf["id"])
    cp = create_checkpoint(a, ex["id"], "kyc_validated")
    with api.runtime.db.session() as session:
        failure = Failure(
            execution_id=uuid.UUID(ex["id"]),
            failure_type="timeout",
            severity="high",
            error_message="slow",
        )
        session.add(failure)
        session.commit()
        failure_id = str(failure.id)
    config = a.client.post(
        "/api/v1/agent-configs", json={"name": "c", "framework": "custom", "config": {}}
    ).json()["agent_config"]
    policy = a.client.post(
        "/api/v1/policies", json={"name": "p", "policy_type": "retry", "policy_config": {}}
    ).json()["policy"]
    key = a.client.post("/api/v1/api-keys", json={"name": "k"}).json()["api_key"]
    user = a.client.post(
        "/api/v1/users", json={"email": f"m-{uuid.uuid4().hex[:6]}@a.io", "password": PASSWORD}
    ).json()["user"]
    role = a.client.post(
        "/api/v1/roles", json={"name": "custom", "permissions": ["workflow:read"]}
    ).json()["role"]
    ids = {
        "workflow_id": wf["id"],
        "execution_id": ex["id"],
        "checkpoint_id": cp["id"],
        "failure_id": failure_id,
        "agent_config_id": config["id"],
        "policy_id": policy["id"],
        "api_key_id": key["id"],
        "user_id": user["id"],
        "role_id": role["id"],
        "version": "1",
    }
    return a, ids


def _audit_count(api: Api, tenant_id: str) -> int:
    with api.runtime.db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.tenant_id == uuid.UUID(tenant_id))
            )
            or 0
        )


def test_another_tenants_resources_are_404_everywhere(api: Api) -> None:
    app: FastAPI = create_app(Runtime(settings=api.runtime.settings, db=api.runtime.db))
    a, ids = _tenant_a(api)
    b = api.register()
    before = _audit_count(api, a.tenant_id)
    snapshot = {
        path: a.client.get(path).json()
        for path in (
            f"/api/v1/workflows/{ids['workflow_id']}",
            f"/api/v1/executions/{ids['execution_id']}",
            f"/api/v1/users/{ids['user_id']}",
            f"/api/v1/roles/{ids['role_id']}",
            f"/api/v1/policies/{ids['policy_id']}",
        )
    }
    checked = []
    for method, path, operation, _ in route_permissions(app):
        params = re.findall(r"\{([^}]+)\}", path)
        if not params:
            continue
        concrete = path
        for name in params:
            concrete = concrete.replace("{" + name + "}", ids[name])
        kwargs: dict[str, Any] = {}
        if method in {"POST", "PUT", "PATCH"} and operation in BODIES:
            kwargs["json"] = BODIES[operation]
        response = b.client.request(method, concrete, **kwargs)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        error_of(response)
        checked.append(operation)
    assert len(checked) >= 25
    assert _audit_count(api, a.tenant_id) == before
    for path, body in snapshot.items():
        assert a.client.get(path).json() == body, path
    # B's attempts did not let B see A's rows in lists either.
    assert b.client.get("/api/v1/executions").json()["executions"] == []
    assert b.client.get("/api/v1/failures").json()["failures"] == []
    assert a.client.get(f"/api/v1/api-keys/{ids['api_key_id']}").json()["revoked_at"] is None
