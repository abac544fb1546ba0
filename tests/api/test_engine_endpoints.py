"""Workflows, executions, checkpoints, failures and events through a real HTTP server."""

from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import select

from omium.store.models import AuditLog, Failure
from tests.api.conftest import Account, Api, error_of
from tests.api.flows import DEFINITION, create_checkpoint, create_workflow, start_execution


def test_workflow_lifecycle(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    assert wf["version"] == 1 and wf["status"] == "published"
    bad = owner.client.post("/api/v1/workflows", json={"name": "x", "definition": {"flow": 3}})
    assert bad.status_code == 422
    got = owner.client.get(f"/api/v1/workflows/{wf['id']}").json()["workflow"]
    assert got["definition"]["flow"][0]["agent"] == "a1"
    renamed = owner.client.patch(f"/api/v1/workflows/{wf['id']}", json={"name": "renamed"})
    assert renamed.json()["workflow"]["name"] == "renamed"
    assert renamed.json()["workflow"]["version"] == 1
    new_definition = {
        **DEFINITION,
        "flow": DEFINITION["flow"][:1],
        "agents": DEFINITION["agents"][:1],
    }
    v2 = owner.client.patch(f"/api/v1/workflows/{wf['id']}", json={"definition": new_definition})
    assert v2.json()["workflow"]["version"] == 2
    v1 = owner.client.get(f"/api/v1/workflows/{wf['id']}/versions/1").json()
    assert len(v1["definition"]["flow"]) == 2
    archived = owner.client.post(f"/api/v1/workflows/{wf['id']}/archive").json()["workflow"]
    assert archived["status"] == "archived"
    refused = owner.client.post("/api/v1/executions", json={"workflow_id": wf["id"]})
    assert refused.status_code == 409
    listed = owner.client.get("/api/v1/workflows", params={"status": "archived"}).json()
    assert [w["id"] for w in listed["workflows"]] == [wf["id"]]
    published = owner.client.post(f"/api/v1/workflows/{wf['id']}/publish").json()["workflow"]
    assert published["status"] == "published"
    by_tag = owner.client.get("/api/v1/workflows", params={"tag": "kyc"}).json()
    assert by_tag["pagination"]["total"] == 1


def test_execution_start_get_list_pause_resume_cancel(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    assert ex["status"] == "pending"
    assert ex["progress"] == {"current_step": 0, "total_steps": 2, "percentage": 0.0}
    got = owner.client.get(f"/api/v1/executions/{ex['id']}").json()["execution"]
    assert got["workflow_id"] == wf["id"]
    assert got["input_params"] == {"customer": "Ada"}
    listed = owner.client.get("/api/v1/executions", params={"status": "pending"}).json()
    assert [e["id"] for e in listed["executions"]] == [ex["id"]]
    assert listed["pagination"]["total"] == 1
    paused = owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
    assert paused.status_code == 200
    assert paused.json()["execution"]["status"] == "paused"
    assert paused.json()["execution"]["metadata"]["paused_at"]
    again = owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
    assert again.status_code == 409
    assert error_of(again)["code"] == "EXECUTION_CANNOT_PAUSE"
    resumed = owner.client.post(f"/api/v1/executions/{ex['id']}/resume")
    assert resumed.json()["execution"]["status"] == "running"
    twice = owner.client.post(f"/api/v1/executions/{ex['id']}/resume")
    assert error_of(twice)["code"] == "EXECUTION_ALREADY_RUNNING"
    cancelled = owner.client.post(f"/api/v1/executions/{ex['id']}/cancel")
    assert cancelled.json()["execution"]["status"] == "cancelled"
    with api.runtime.db.session() as session:
        actions = session.scalars(
            select(AuditLog.action)
            .where(AuditLog.resource_id == uuid.UUID(ex["id"]))
            .order_by(AuditLog.created_at)
        ).all()
    assert actions == ["execution.start", "execution.pause", "execution.resume", "execution.cancel"]


def test_unknown_workflow_is_404_workflow_not_found(owner: Account) -> None:
    response = owner.client.post("/api/v1/executions", json={"workflow_id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert error_of(response)["code"] == "WORKFLOW_NOT_FOUND"
    missing = owner.client.get(f"/api/v1/executions/{uuid.uuid4()}")
    assert error_of(missing)["code"] == "EXECUTION_NOT_FOUND"


def test_checkpoints_create_get_list_rollback(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    first = create_checkpoint(owner, ex["id"], "kyc_validated")
    second = create_checkpoint(owner, ex["id"], "credit_scored")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first["checksum"])
    assert first["state_size_bytes"] > 0
    got = owner.client.get(f"/api/v1/checkpoints/{first['id']}").json()["checkpoint"]
    assert got["checkpoint_name"] == "kyc_validated"
    page = owner.client.get(f"/api/v1/executions/{ex['id']}/checkpoints").json()
    assert [c["checkpoint_name"] for c in page["checkpoints"]] == ["kyc_validated", "credit_scored"]
    dup = owner.client.post(
        "/api/v1/checkpoints",
        json={"execution_id": ex["id"], "checkpoint_name": "kyc_validated", "state": {}},
    )
    assert dup.status_code == 409
    owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
    rolled = owner.client.post(
        f"/api/v1/checkpoints/{first['id']}/rollback",
        json={"reason": "Hallucination detected", "trigger_type": "manual"},
    )
    assert rolled.status_code == 200, rolled.text
    body = rolled.json()
    assert body["rollback"]["to_checkpoint_id"] == first["id"]
    assert body["rollback"]["from_checkpoint_id"] == second["id"]
    assert body["rollback"]["status"] == "completed"
    assert body["execution"]["status"] == "rolled_back"
    assert body["execution"]["current_checkpoint"] == "kyc_validated"
    live = owner.client.get(f"/api/v1/executions/{ex['id']}/checkpoints").json()
    assert [c["checkpoint_name"] for c in live["checkpoints"]] == ["kyc_validated"]
    every = owner.client.get(
        f"/api/v1/executions/{ex['id']}/checkpoints", params={"include_superseded": True}
    ).json()
    assert every["pagination"]["total"] == 2


def test_checkpoint_quota(api: Api, owner: Account) -> None:
    from omium.store.models import Tenant

    with api.runtime.db.session() as session:
        tenant = session.get(Tenant, uuid.UUID(owner.tenant_id))
        assert tenant is not None
        tenant.max_checkpoints_per_month = 1
        session.commit()
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    create_checkpoint(owner, ex["id"], "one")
    over = owner.client.post(
        "/api/v1/checkpoints",
        json={"execution_id": ex["id"], "checkpoint_name": "two", "state": {}},
    )
    assert over.status_code == 429
    assert error_of(over)["code"] == "QUOTA_EXCEEDED"


def test_failures_list_filters_and_recover(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    other = start_execution(owner, wf["id"])
    with api.runtime.db.session() as session:
        for execution_id, severity in ((ex["id"], "high"), (other["id"], "low"), (ex["id"], "low")):
            session.add(
                Failure(
                    execution_id=uuid.UUID(execution_id),
                    failure_type="hallucination",
                    severity=severity,
                    error_message="Generated APR = 0%, expected 2.5%-8.5%",
                    suggested_fix="Add APR constraint to prompt",
                    metadata_={"step": 1},
                )
            )
        session.commit()
    everything = owner.client.get("/api/v1/failures").json()
    assert everything["pagination"] == {"total": 3, "limit": 50, "offset": 0}
    high = owner.client.get(
        "/api/v1/failures", params={"execution_id": ex["id"], "severity": "high"}
    ).json()
    assert len(high["failures"]) == 1
    assert high["failures"][0]["error_message"].startswith("Generated APR")
    paged = owner.client.get("/api/v1/failures", params={"limit": 1, "offset": 1}).json()
    assert len(paged["failures"]) == 1 and paged["pagination"]["total"] == 3
    bad = owner.client.get("/api/v1/failures", params={"severity": "apocalyptic"})
    assert bad.status_code == 422
    owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
    recovered = owner.client.post(
        f"/api/v1/failures/{high['failures'][0]['id']}/recover",
        json={"action_type": "retry", "action_config": {}},
    )
    assert recovered.status_code == 200, recovered.text
    action = recovered.json()["recovery_action"]
    assert action["action_type"] == "retry"
    assert (
        owner.client.get(f"/api/v1/executions/{ex['id']}").json()["execution"]["status"]
        == "running"
    )


def test_events_stream_is_resumable(api: Api, owner: Account) -> None:
    wf = create_workflow(owner)
    ex = start_execution(owner, wf["id"])
    owner.client.post(f"/api/v1/executions/{ex['id']}/pause")
    owner.client.post(f"/api/v1/executions/{ex['id']}/cancel")

    def read(headers: dict[str, str]) -> list[dict[str, object]]:
        events: list[dict[str, object]] = []
        with owner.client.stream(
            "GET", f"/api/v1/executions/{ex['id']}/events", headers=headers, timeout=10
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            current: dict[str, object] = {}
            for line in response.iter_lines():
                if line.startswith("id: "):
                    current["id"] = int(line[4:])
                elif line.startswith("data: "):
                    current.update(json.loads(line[6:]))
                elif not line and current:
                    events.append(current)
                    current = {}
        return events

    everything = read({})
    kinds = [e["event_type"] for e in everything]
    assert kinds[0] == "execution_queued"
    assert "execution_paused" in kinds and kinds[-1] == "execution_cancelled"
    resumed = read({"Last-Event-ID": str(everything[0]["id"])})
    assert resumed == everything[1:]


def test_events_of_unknown_execution_is_404(owner: Account) -> None:
    response = owner.client.get(f"/api/v1/executions/{uuid.uuid4()}/events")
    assert response.status_code == 404
