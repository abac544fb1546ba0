"""Every resource method of omium.Client (and AsyncClient) against a real server and worker:
workflows, executions, checkpoints, failures, recovery, events, analytics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from omium.client import ApiConflictError, ApiNotFoundError, AsyncClient, Client
from omium.errors import ErrorCode
from tests.client.agents import definition
from tests.client.conftest import Owner

APPLICANT = {"applicant": {"name": "Ada"}}


def test_workflow_lifecycle(owner: Owner) -> None:
    c = owner.client
    wf = c.create_workflow("scoring", definition(), description="score and offer")
    assert (wf.name, wf.version) == ("scoring", 1)
    assert [w.id for w in c.list_workflows().workflows] == [wf.id]
    assert c.get_workflow(wf.id).definition["flow"][0]["agent"] == "scorer"

    v2 = c.publish_version(wf.id, definition(fault=False))
    assert v2.version == 2
    assert c.archive_workflow(wf.id).status == "archived"
    assert c.publish_workflow(wf.id).status == "published"

    with pytest.raises(ApiNotFoundError) as caught:
        c.get_workflow(uuid.uuid4())
    assert caught.value.code is ErrorCode.WORKFLOW_NOT_FOUND


def test_a_failure_waits_for_a_person_who_recovers_it(
    owner: Owner, drain: Callable[[], None]
) -> None:
    c = owner.client
    wf = c.create_workflow("scoring", definition())
    started = c.start_execution(wf.id, APPLICANT, metadata={"request_id": "req_1"})
    assert started.status.value == "pending"
    drain()

    paused = c.get_execution(started.id)
    assert paused.status.value == "paused"
    assert [e.id for e in c.list_executions(status="paused").executions] == [started.id]
    assert c.list_executions(workflow_id=wf.id).pagination.total == 1

    page = c.list_failures(execution_id=started.id)
    assert page.pagination.total == 1
    failure = page.failures[0]
    assert failure.failure_type == "hallucination"
    assert failure.suggested_fix and "0.025" in failure.suggested_fix
    assert c.list_failures(severity="low").failures == []

    recovered = c.recover_failure(failure.id, "retry")
    assert recovered.recovery_action.action_type == "retry"
    drain()
    done = c.get_execution(started.id)
    assert done.status.value == "completed"
    assert done.result is not None and done.result["offer"]["apr"] == 0.05

    # events, as recorded (not followed)
    kinds = [e.event_type for e in c.iter_events(started.id, follow=False)]
    assert kinds[0] == "execution_queued"
    assert "failure_detected" in kinds and kinds[-1] == "execution_completed"
    ids = [e.id for e in c.iter_events(started.id, follow=False)]
    after = list(c.iter_events(started.id, follow=False, last_event_id=ids[-2]))
    assert [e.event_type for e in after] == ["execution_completed"]


def test_checkpoints_rollback_and_resume(owner: Owner, drain: Callable[[], None]) -> None:
    c = owner.client
    # paused by the hallucination (a completed execution cannot be rolled back)
    wf = c.create_workflow("scoring", definition())
    ex = c.start_execution(wf.id, APPLICANT)
    drain()
    page = c.list_checkpoints(ex.id)
    names = [cp.checkpoint_name for cp in page.checkpoints]
    assert names[0] == "scorer_start" and "offerer_start" in names
    scored = next(cp for cp in page.checkpoints if cp.checkpoint_name == "scorer_complete")
    got = c.get_checkpoint(scored.id)
    assert (
        got.checksum.startswith("sha256:") and len(got.checksum) == 71 and got.state_size_bytes > 0
    )

    rolled = c.rollback(scored.id, reason="re-run the offer")
    assert rolled.execution.status.value == "rolled_back"
    assert rolled.rollback.to_checkpoint_id == scored.id
    later = c.list_checkpoints(ex.id, include_superseded=True).checkpoints
    assert any(cp.superseded_at for cp in later)

    resumed = c.resume_execution(ex.id)
    assert resumed.message
    drain()
    assert c.get_execution(ex.id).status.value == "completed"

    created = c.create_checkpoint(ex.id, "manual_snapshot", {"note": "by hand"})
    assert created.checkpoint_name == "manual_snapshot"


def test_control_errors_and_cancel(owner: Owner, drain: Callable[[], None]) -> None:
    c = owner.client
    wf = c.create_workflow("clean", definition(fault=False))
    pending = c.start_execution(wf.id, APPLICANT)
    cancelled = c.cancel_execution(pending.id)
    assert cancelled.execution.status.value == "cancelled"
    with pytest.raises(ApiConflictError) as caught:
        c.pause_execution(pending.id)
    assert caught.value.code is ErrorCode.EXECUTION_CANNOT_PAUSE
    with pytest.raises(ApiNotFoundError) as missing:
        c.get_execution(uuid.uuid4())
    assert missing.value.code is ErrorCode.EXECUTION_NOT_FOUND
    assert missing.value.request_id


def test_analytics(owner: Owner, drain: Callable[[], None]) -> None:
    c = owner.client
    wf = c.create_workflow("clean", definition(fault=False))
    c.start_execution(wf.id, APPLICANT)
    drain()
    stats = c.execution_analytics()
    assert stats.total_executions == 1
    assert stats.successful == 1
    assert stats.success_rate == 1.0


def test_async_client_reads_and_streams(
    server: str, owner: Owner, drain: Callable[[], None]
) -> None:
    token = owner.client.credentials.access_token
    wf = owner.client.create_workflow("scoring", definition())
    ex = owner.client.start_execution(wf.id, APPLICANT)
    drain()

    async def scenario() -> tuple[str, list[str], int]:
        async with AsyncClient(server, access_token=token) as c:
            got = await c.get_execution(ex.id)
            failures = await c.list_failures(execution_id=ex.id)
            kinds = [e.event_type async for e in c.iter_events(ex.id, follow=False)]
            return got.status.value, kinds, failures.pagination.total

    status, kinds, failures = asyncio.run(scenario())
    assert status == "paused"
    assert "failure_detected" in kinds
    assert failures == 1


def test_following_events_ends_with_the_execution(
    server: str, owner: Owner, drain: Callable[[], None]
) -> None:
    wf = owner.client.create_workflow("clean", definition(fault=False))
    ex = owner.client.start_execution(wf.id, APPLICANT)
    drain()
    with Client(server, access_token=owner.client.credentials.access_token) as c:
        kinds = [e.event_type for e in c.iter_events(ex.id)]  # follow=True: ends on its own
    assert kinds[-1] == "execution_completed"
