"""The server itself: health, reflection, and authentication on every call."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from omium.rpc.errors import ERROR_CODE_METADATA, error_code_of
from omium.rpc.generated import consensus_pb2, execution_pb2
from tests.rpc.conftest import Rpc

SERVICES = ["omium.consensus.ConsensusService", "omium.execution.ExecutionService"]


def test_health_serves_every_service(rpc: Rpc) -> None:
    stub = health_pb2_grpc.HealthStub(rpc.channel)
    for name in ["", *SERVICES]:
        answer = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as unknown:
        stub.Check(health_pb2.HealthCheckRequest(service="nope.Service"), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_services(rpc: Rpc) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(rpc.channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    [answer] = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {service.name for service in answer.list_services_response.service}
    assert set(SERVICES) | {"grpc.health.v1.Health"} <= names


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Basic dXNlcjpwYXNz"),),
        (("authorization", "Bearer not-a-token"),),
        (("authorization", "Bearer omk_live_unknownkey0000000000000000"),),
    ],
    ids=["missing", "not-bearer", "bad-jwt", "unknown-api-key"],
)
def test_calls_without_valid_credentials_are_unauthenticated(
    rpc: Rpc, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        rpc.consensus.GetConsensusStatus(
            consensus_pb2.GetConsensusStatusRequest(execution_id="0" * 32),
            metadata=metadata,
            timeout=5,
        )
    call = failed.value
    assert call.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_code_of(call) == "AUTH_INVALID_CREDENTIALS"
    assert (ERROR_CODE_METADATA, "AUTH_INVALID_CREDENTIALS") in call.trailing_metadata()


def test_a_key_without_the_permission_is_denied(rpc: Rpc) -> None:
    owner = rpc.register()
    reader = rpc.api_key(owner, ["execution:read"])
    with pytest.raises(grpc.RpcError) as denied:
        rpc.executions.StartExecution(
            execution_pb2.StartExecutionRequest(workflow_id="0" * 32),
            metadata=reader.metadata,
            timeout=5,
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_code_of(denied.value) == "AUTH_INSUFFICIENT_PERMISSIONS"
    # The same key may read: a missing execution is NOT_FOUND, not a permission problem.
    with pytest.raises(grpc.RpcError) as missing:
        rpc.executions.GetExecutionStatus(
            execution_pb2.GetExecutionStatusRequest(execution_id="0" * 32),
            metadata=reader.metadata,
            timeout=5,
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_code_of(missing.value) == "EXECUTION_NOT_FOUND"
