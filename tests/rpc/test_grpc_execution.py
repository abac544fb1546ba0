"""ExecutionService through a real channel: start, read, pause/resume/cancel, the live stream."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2

from omium.rpc.errors import error_code_of
from omium.rpc.generated import execution_pb2 as pb
from tests.engine import agents as engine_agents
from tests.rpc.conftest import Caller, Rpc

TWO_STEPS = {
    "agents": [
        {"id": "gatekeeper", "config": {"handler": "blocker"}},
        {"id": "counter", "config": {"handler": "counter"}},
    ],
    "flow": [
        {"step": 1, "agent": "gatekeeper", "outputs": ["blocked"]},
        {"step": 2, "agent": "counter", "inputs": ["n"], "depends_on": [1]},
    ],
}


def _start(rpc: Rpc, caller: Caller, workflow_id: str, **params: object) -> str:
    input_params = struct_pb2.Struct()
    input_params.update(params)
    started = rpc.executions.StartExecution(
        pb.StartExecutionRequest(
            workflow_id=workflow_id,
            input_params=input_params,
            trigger_type="api",
            metadata={"source": "grpc-test"},
        ),
        metadata=caller.metadata,
        timeout=10,
    )
    assert started.status == pb.PENDING and started.created_at.seconds > 0
    return started.execution_id


def _status(rpc: Rpc, caller: Caller, execution_id: str) -> pb.Execution:
    return rpc.executions.GetExecutionStatus(
        pb.GetExecutionStatusRequest(execution_id=execution_id),
        metadata=caller.metadata,
        timeout=10,
    ).execution


@pytest.mark.usefixtures("worker")
def test_the_event_stream_of_a_live_execution_ends_when_it_completes(rpc: Rpc) -> None:
    owner = rpc.register()
    workflow_id = str(rpc.workflow(owner, TWO_STEPS))
    execution_id = _start(rpc, owner, workflow_id, n=40)
    stream = rpc.executions.StreamExecutionEvents(
        pb.StreamExecutionEventsRequest(execution_id=execution_id),
        metadata=owner.metadata,
        timeout=60,
    )
    seen: list[pb.ExecutionEvent] = []
    for event in stream:
        seen.append(event)
        if event.event_type == "step_started" and event.data["step"] == 1:
            # Step 1 is blocked: the execution is running, the stream is live. Let it go on.
            assert _status(rpc, owner, execution_id).status == pb.RUNNING
            engine_agents.gate.set()
    types = [event.event_type for event in seen]
    assert types[-1] == "execution_completed"
    assert types.count("step_completed") == 2
    assert "checkpoint_created" in types
    assert all(event.data["execution_id"] == execution_id for event in seen)
    ids = [int(event.data["event_id"]) for event in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(event.timestamp.seconds > 0 for event in seen)

    done = _status(rpc, owner, execution_id)
    assert done.status == pb.COMPLETED
    assert done.result["s2"] == 42
    assert (done.progress.current_step, done.progress.total_steps) == (2, 2)
    assert sorted(agent.name for agent in done.agents) == ["counter", "gatekeeper"]
    assert all(agent.status == pb.COMPLETED for agent in done.agents)
    assert done.started_at.seconds > 0 and done.completed_at.seconds > 0


def test_pause_resume_cancel_and_the_stream_of_an_ended_execution(rpc: Rpc) -> None:
    owner = rpc.register()
    execution_id = _start(rpc, owner, str(rpc.workflow(owner, TWO_STEPS)), n=1)
    md = owner.metadata
    paused = rpc.executions.PauseExecution(
        pb.PauseExecutionRequest(execution_id=execution_id), metadata=md, timeout=10
    )
    assert paused.success and paused.paused_at.seconds > 0
    assert _status(rpc, owner, execution_id).status == pb.PAUSED
    resumed = rpc.executions.ResumeExecution(
        pb.ResumeExecutionRequest(execution_id=execution_id), metadata=md, timeout=10
    )
    assert resumed.success and resumed.resumed_at.seconds > 0
    cancelled = rpc.executions.CancelExecution(
        pb.CancelExecutionRequest(execution_id=execution_id, reason="not needed"),
        metadata=md,
        timeout=10,
    )
    assert cancelled.success and cancelled.cancelled_at.seconds > 0
    assert _status(rpc, owner, execution_id).status == pb.CANCELLED

    with pytest.raises(grpc.RpcError) as again:
        rpc.executions.PauseExecution(
            pb.PauseExecutionRequest(execution_id=execution_id), metadata=md, timeout=10
        )
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_code_of(again.value) == "EXECUTION_CANNOT_PAUSE"

    # The execution has ended: its stream replays what happened and closes.
    events = list(
        rpc.executions.StreamExecutionEvents(
            pb.StreamExecutionEventsRequest(execution_id=execution_id), metadata=md, timeout=30
        )
    )
    types = [event.event_type for event in events]
    assert types[-1] == "execution_cancelled"
    assert "execution_paused" in types and "execution_resumed" in types


def test_another_tenants_ids_are_not_found(rpc: Rpc) -> None:
    owner, other = rpc.register(), rpc.register()
    workflow_id = str(rpc.workflow(owner, TWO_STEPS))
    execution_id = _start(rpc, owner, workflow_id, n=1)
    with pytest.raises(grpc.RpcError) as start:
        _start(rpc, other, workflow_id)
    assert start.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_code_of(start.value) == "WORKFLOW_NOT_FOUND"
    calls = {
        "get": lambda: rpc.executions.GetExecutionStatus(
            pb.GetExecutionStatusRequest(execution_id=execution_id), metadata=other.metadata
        ),
        "pause": lambda: rpc.executions.PauseExecution(
            pb.PauseExecutionRequest(execution_id=execution_id), metadata=other.metadata
        ),
        "resume": lambda: rpc.executions.ResumeExecution(
            pb.ResumeExecutionRequest(execution_id=execution_id), metadata=other.metadata
        ),
        "cancel": lambda: rpc.executions.CancelExecution(
            pb.CancelExecutionRequest(execution_id=execution_id), metadata=other.metadata
        ),
        "stream": lambda: list(
            rpc.executions.StreamExecutionEvents(
                pb.StreamExecutionEventsRequest(execution_id=execution_id),
                metadata=other.metadata,
                timeout=10,
            )
        ),
    }
    for name, call in calls.items():
        with pytest.raises(grpc.RpcError) as hidden:
            call()
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND, name
        assert error_code_of(hidden.value) == "EXECUTION_NOT_FOUND", name
    assert _status(rpc, owner, execution_id).status == pb.PENDING


def test_missing_and_malformed_ids(rpc: Rpc) -> None:
    owner = rpc.register()
    with pytest.raises(grpc.RpcError) as missing:
        rpc.executions.StartExecution(pb.StartExecutionRequest(), metadata=owner.metadata)
    assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code_of(missing.value) == "MISSING_REQUIRED_FIELD"
    with pytest.raises(grpc.RpcError) as malformed:
        list(
            rpc.executions.StreamExecutionEvents(
                pb.StreamExecutionEventsRequest(execution_id="x"), metadata=owner.metadata
            )
        )
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
