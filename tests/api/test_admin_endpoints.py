"""Agent configs, policies, analytics and the audit log through a real HTTP server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omium.store.models import Execution, ExecutionMetrics, Failure
from tests.api.conftest import Account, Api, error_of
from tests.api.flows import create_workflow, start_execution

AGENT_CONFIG = {
    "role": "KYC Specialist",
    "goal": "Verify customer identity documents",
    "llm": {"provider": "openai", "model": "gpt-4", "temperature": 0.2},
    "checkpoints": [{"name": "document_received", "preconditions": ["document.type != null"]}],
    "recovery_policies": {"on_failure": "rollback", "max_retries": 3},
}


def test_agent_config_crud(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    created = owner.client.post(
        "/api/v1/agent-configs",
        json={
            "workflow_id": wf["id"],
            "name": "KYC Verification Agent",
            "framework": "crewai",
            "version": "1.2.0",
            "config": AGENT_CONFIG,
        },
    )
    assert created.status_code == 201, created.text
    config = created.json()["agent_config"]
    bad = owner.client.post(
        "/api/v1/agent-configs", json={"name": "x", "framework": "smolagents", "config": {}}
    )
    assert bad.status_code == 422
    assert error_of(bad)["details"]["field"] == "body.framework"
    listed = owner.client.get("/api/v1/agent-configs", params={"workflow_id": wf["id"]}).json()
    assert [c["id"] for c in listed["agent_configs"]] == [config["id"]]
    updated = owner.client.patch(
        f"/api/v1/agent-configs/{config['id']}", json={"version": "1.3.0"}
    ).json()["agent_config"]
    assert updated["version"] == "1.3.0" and updated["config"] == AGENT_CONFIG
    assert owner.client.delete(f"/api/v1/agent-configs/{config['id']}").status_code == 204
    assert owner.client.get(f"/api/v1/agent-configs/{config['id']}").status_code == 404


def test_policy_crud_bumps_version(api: Api, owner: Account) -> None:
    created = owner.client.post(
        "/api/v1/policies",
        json={"name": "retry thrice", "policy_type": "retry", "policy_config": {"max_retries": 3}},
    )
    assert created.status_code == 201
    policy = created.json()["policy"]
    assert policy["version"] == 1 and policy["is_active"] is True
    updated = owner.client.patch(
        f"/api/v1/policies/{policy['id']}", json={"policy_config": {"max_retries": 5}}
    ).json()["policy"]
    assert updated["version"] == 2 and updated["policy_config"] == {"max_retries": 5}
    owner.client.patch(f"/api/v1/policies/{policy['id']}", json={"is_active": False})
    active = owner.client.get("/api/v1/policies", params={"is_active": True}).json()
    assert active["policies"] == []
    by_type = owner.client.get("/api/v1/policies", params={"policy_type": "retry"}).json()
    assert by_type["pagination"]["total"] == 1
    assert owner.client.delete(f"/api/v1/policies/{policy['id']}").status_code == 204
    assert owner.client.get(f"/api/v1/policies/{policy['id']}").status_code == 404


def test_analytics_by_day_with_failures_and_cost(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ids = [start_execution(owner, wf["id"])["id"] for _ in range(4)]
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    plan = [
        (ids[0], today, "completed", 1000),
        (ids[1], today, "failed", 3000),
        (ids[2], yesterday, "completed", 2000),
        (ids[3], yesterday, "completed", None),
    ]
    with api.runtime.db.session() as session:
        for execution_id, created, status, duration in plan:
            row = session.get(Execution, uuid.UUID(execution_id))
            assert row is not None
            row.created_at = created
            row.status = status
            row.duration_ms = duration
            session.add(
                ExecutionMetrics(
                    execution_id=row.id,
                    total_duration_ms=duration or 0,
                    total_cost_usd=Decimal("1.25"),
                )
            )
        session.add(
            Failure(
                execution_id=uuid.UUID(ids[1]),
                failure_type="hallucination",
                severity="high",
                error_message="apr",
                detected_at=today,
            )
        )
        session.add(
            Failure(
                execution_id=uuid.UUID(ids[1]),
                failure_type="timeout",
                severity="low",
                error_message="slow",
                detected_at=today,
            )
        )
        session.commit()
    response = owner.client.get(
        "/api/v1/analytics/executions",
        params={
            "start_date": yesterday.date().isoformat(),
            "end_date": today.date().isoformat(),
            "group_by": "day",
        },
    )
    assert response.status_code == 200, response.text
    analytics = response.json()["analytics"]
    assert analytics["total_executions"] == 4
    assert analytics["successful"] == 3 and analytics["failed"] == 1
    assert analytics["success_rate"] == 0.75
    assert analytics["avg_duration_ms"] == 2000.0
    assert analytics["total_cost_usd"] == 5.0
    assert analytics["by_day"] == [
        {
            "date": yesterday.date().isoformat(),
            "total": 2,
            "successful": 2,
            "failed": 0,
            "success_rate": 1.0,
        },
        {
            "date": today.date().isoformat(),
            "total": 2,
            "successful": 1,
            "failed": 1,
            "success_rate": 0.5,
        },
    ]
    assert analytics["failure_breakdown"] == {"hallucination": 1, "timeout": 1}
    only_today = owner.client.get(
        "/api/v1/analytics/executions", params={"start_date": today.date().isoformat()}
    ).json()["analytics"]
    assert only_today["total_executions"] == 2
    backwards = owner.client.get(
        "/api/v1/analytics/executions",
        params={"start_date": today.date().isoformat(), "end_date": yesterday.date().isoformat()},
    )
    assert backwards.status_code == 422


def test_audit_log_listing(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    page = owner.client.get("/api/v1/audit-logs").json()
    actions = [row["action"] for row in page["audit_logs"]]
    assert actions[:3] == ["execution.start", "workflow.create", "auth.register"]
    started = owner.client.get(
        "/api/v1/audit-logs", params={"resource_type": "execution", "resource_id": ex["id"]}
    ).json()["audit_logs"]
    assert len(started) == 1
    assert started[0]["user_id"] == owner.user_id
    assert started[0]["new_values"]["status"] == "pending"
    assert started[0]["ip_address"] == "127.0.0.1"
    other = api.register()
    assert other.client.get("/api/v1/audit-logs").json()["pagination"]["total"] == 1
