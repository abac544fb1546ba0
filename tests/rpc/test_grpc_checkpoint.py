"""CheckpointService through a real channel: create, get, list, rollback, delete, isolation."""

from __future__ import annotations

import json

import grpc
import pytest

from omium.rpc.errors import error_code_of
from omium.rpc.generated import checkpoint_pb2 as pb
from omium.rpc.generated import execution_pb2
from tests.rpc.conftest import Caller, Rpc

ONE_STEP = {
    "agents": [{"id": "a1", "config": {"handler": "noop"}}],
    "flow": [{"step": 1, "agent": "a1"}],
}


def _paused_execution(rpc: Rpc, caller: Caller) -> str:
    started = rpc.executions.StartExecution(
        execution_pb2.StartExecutionRequest(workflow_id=str(rpc.workflow(caller, ONE_STEP))),
        metadata=caller.metadata,
        timeout=10,
    )
    rpc.executions.PauseExecution(
        execution_pb2.PauseExecutionRequest(execution_id=started.execution_id),
        metadata=caller.metadata,
        timeout=10,
    )
    return started.execution_id


def _create(rpc: Rpc, caller: Caller, execution_id: str, name: str, state: object) -> str:
    created = rpc.checkpoints.CreateCheckpoint(
        pb.CreateCheckpointRequest(
            execution_id=execution_id,
            checkpoint_name=name,
            state=json.dumps(state).encode(),
            metadata={"source": "grpc"},
            preconditions=pb.Conditions(conditions=["customer != null"]),
        ),
        metadata=caller.metadata,
        timeout=10,
    )
    assert created.size_bytes > 0 and created.state_blob_uri
    assert created.checksum.startswith("sha256:") and len(created.checksum) == 71
    assert created.created_at.seconds > 0
    return created.checkpoint_id


def test_create_get_list_rollback_delete(rpc: Rpc) -> None:
    owner = rpc.register()
    md = owner.metadata
    execution_id = _paused_execution(rpc, owner)
    first = _create(rpc, owner, execution_id, "kyc_validated", {"customer": {"score": 95}})
    second = _create(rpc, owner, execution_id, "credit_done", {"customer": {"score": 95}, "c": 1})

    got = rpc.checkpoints.GetCheckpoint(
        pb.GetCheckpointRequest(checkpoint_id=first), metadata=md, timeout=10
    ).checkpoint
    assert (got.id, got.execution_id, got.checkpoint_name) == (first, execution_id, "kyc_validated")
    assert got.metadata["source"] == "grpc" and got.state_size_bytes > 0

    listed = rpc.checkpoints.ListCheckpoints(
        pb.ListCheckpointsRequest(execution_id=execution_id), metadata=md, timeout=10
    )
    assert [c.id for c in listed.checkpoints] == [first, second] and listed.total == 2
    page = rpc.checkpoints.ListCheckpoints(
        pb.ListCheckpointsRequest(execution_id=execution_id, limit=1, offset=1),
        metadata=md,
        timeout=10,
    )
    assert [c.id for c in page.checkpoints] == [second] and page.total == 2

    rolled = rpc.checkpoints.RollbackToCheckpoint(
        pb.RollbackRequest(
            execution_id=execution_id,
            checkpoint_id=first,
            reason="bad credit",
            trigger_type="manual",
        ),
        metadata=md,
        timeout=10,
    )
    assert rolled.success and rolled.rollback_id and rolled.completed_at.seconds > 0
    status = rpc.executions.GetExecutionStatus(
        execution_pb2.GetExecutionStatusRequest(execution_id=execution_id), metadata=md
    ).execution
    assert status.status == execution_pb2.ROLLED_BACK
    # The later checkpoint left the live line.
    after = rpc.checkpoints.ListCheckpoints(
        pb.ListCheckpointsRequest(execution_id=execution_id), metadata=md, timeout=10
    )
    assert [c.id for c in after.checkpoints] == [first]

    spare = _create(rpc, owner, _paused_execution(rpc, owner), "spare", {"x": 1})
    deleted = rpc.checkpoints.DeleteCheckpoint(
        pb.DeleteCheckpointRequest(checkpoint_id=spare), metadata=md, timeout=10
    )
    assert deleted.success
    with pytest.raises(grpc.RpcError) as gone:
        rpc.checkpoints.GetCheckpoint(pb.GetCheckpointRequest(checkpoint_id=spare), metadata=md)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_code_of(gone.value) == "CHECKPOINT_NOT_FOUND"


def test_bad_state_and_duplicate_names(rpc: Rpc) -> None:
    owner = rpc.register()
    execution_id = _paused_execution(rpc, owner)
    with pytest.raises(grpc.RpcError) as bad:
        rpc.checkpoints.CreateCheckpoint(
            pb.CreateCheckpointRequest(
                execution_id=execution_id, checkpoint_name="x", state=b"\xff{not json"
            ),
            metadata=owner.metadata,
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code_of(bad.value) == "INVALID_FIELD_FORMAT"
    _create(rpc, owner, execution_id, "once", {"a": 1})
    with pytest.raises(grpc.RpcError) as twice:
        _create(rpc, owner, execution_id, "once", {"a": 2})
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_another_tenants_ids_are_not_found(rpc: Rpc) -> None:
    owner, other = rpc.register(), rpc.register()
    execution_id = _paused_execution(rpc, owner)
    checkpoint_id = _create(rpc, owner, execution_id, "mine", {"secret": True})
    md = other.metadata
    calls = {
        "create": lambda: rpc.checkpoints.CreateCheckpoint(
            pb.CreateCheckpointRequest(
                execution_id=execution_id, checkpoint_name="theirs", state=b"{}"
            ),
            metadata=md,
        ),
        "get": lambda: rpc.checkpoints.GetCheckpoint(
            pb.GetCheckpointRequest(checkpoint_id=checkpoint_id), metadata=md
        ),
        "list": lambda: rpc.checkpoints.ListCheckpoints(
            pb.ListCheckpointsRequest(execution_id=execution_id), metadata=md
        ),
        "rollback": lambda: rpc.checkpoints.RollbackToCheckpoint(
            pb.RollbackRequest(checkpoint_id=checkpoint_id), metadata=md
        ),
        "delete": lambda: rpc.checkpoints.DeleteCheckpoint(
            pb.DeleteCheckpointRequest(checkpoint_id=checkpoint_id), metadata=md
        ),
    }
    for name, call in calls.items():
        with pytest.raises(grpc.RpcError) as hidden:
            call()
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND, name
    still = rpc.checkpoints.GetCheckpoint(
        pb.GetCheckpointRequest(checkpoint_id=checkpoint_id), metadata=owner.metadata
    )
    assert still.checkpoint.checkpoint_name == "mine"
