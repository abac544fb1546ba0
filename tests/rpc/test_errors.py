"""Every Omium error maps to a gRPC status with its LLD code in the rich details."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from omium.errors import (
    AuthError,
    ConflictError,
    ConsensusError,
    ErrorCode,
    NotFoundError,
    OmiumError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    TokenExpiredError,
    ValidationError,
)
from omium.rpc.errors import ERROR_CODE_METADATA, status_code_for, to_status


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AuthError("bad"), grpc.StatusCode.UNAUTHENTICATED),
        (TokenExpiredError("old"), grpc.StatusCode.UNAUTHENTICATED),
        (PermissionDeniedError("no"), grpc.StatusCode.PERMISSION_DENIED),
        (NotFoundError("gone", code=ErrorCode.EXECUTION_NOT_FOUND), grpc.StatusCode.NOT_FOUND),
        (ValidationError("bad input"), grpc.StatusCode.INVALID_ARGUMENT),
        (ConflictError("dup"), grpc.StatusCode.ALREADY_EXISTS),
        (
            ConflictError("paused", code=ErrorCode.EXECUTION_CANNOT_PAUSE),
            grpc.StatusCode.FAILED_PRECONDITION,
        ),
        (
            ConsensusError("not leader", code=ErrorCode.MESSAGE_BROADCAST_FAILED),
            grpc.StatusCode.FAILED_PRECONDITION,
        ),
        (RateLimitError("slow down", retry_after=2), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (ServiceUnavailableError("down"), grpc.StatusCode.UNAVAILABLE),
        (OmiumError("boom"), grpc.StatusCode.INTERNAL),
    ],
)
def test_status_codes(error: OmiumError, status: grpc.StatusCode) -> None:
    assert status_code_for(error) == status


def test_the_lld_code_and_details_travel_in_the_rich_status() -> None:
    error = NotFoundError(
        "Checkpoint with ID 'abc' not found",
        code=ErrorCode.CHECKPOINT_NOT_FOUND,
        details={"checkpoint_id": "abc", "attempts": 2},
    )
    status = to_status(error)
    assert status.code == grpc.StatusCode.NOT_FOUND
    assert status.details == "Checkpoint with ID 'abc' not found"
    assert (ERROR_CODE_METADATA, "CHECKPOINT_NOT_FOUND") in status.trailing_metadata
    rich = dict(status.trailing_metadata)[rpc_status.GRPC_DETAILS_METADATA_KEY]
    decoded = status_pb2.Status.FromString(rich)
    info = error_details_pb2.ErrorInfo()
    assert decoded.details[0].Unpack(info)
    assert info.reason == "CHECKPOINT_NOT_FOUND"
    assert dict(info.metadata) == {"checkpoint_id": "abc", "attempts": "2"}


def test_a_rate_limit_says_when_to_retry() -> None:
    status = to_status(RateLimitError("slow down", retry_after=1.5))
    decoded = status_pb2.Status.FromString(
        dict(status.trailing_metadata)[rpc_status.GRPC_DETAILS_METADATA_KEY]
    )
    retry = error_details_pb2.RetryInfo()
    assert decoded.details[1].Unpack(retry)
    assert retry.retry_delay.ToMilliseconds() == 1500
